/* Unit test runner: runs every registered suite, prints one line per suite and a total. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test.h"

int test_passed, test_failed;
const char *test_current = "";

static struct {
	const char *name;
	test_suite_fn fn;
} suites[256];
static int nsuites;

void test_register(const char *name, test_suite_fn fn)
{
	if(nsuites < 256) {
		suites[nsuites].name = name;
		suites[nsuites].fn = fn;
		nsuites++;
	}
}

int main(int argc, char **argv)
{
	int suites_failed = 0;
	for(int i = 0; i < nsuites; i++) {
		int before = test_failed;
		int passed_before = test_passed;
		if(argc > 1 && strcmp(argv[1], suites[i].name))
			continue;
		test_current = suites[i].name;
		suites[i].fn();
		printf("%s unit/%s (%d checks)\n", test_failed == before ? "ok  " : "FAIL", suites[i].name,
		       test_passed - passed_before + test_failed - before);
		if(test_failed != before)
			suites_failed++;
	}
	printf("unit: %d checks passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}
