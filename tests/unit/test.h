/* A tiny unit test harness: CHECK records file:line of each failure; suites register in main. */
#ifndef WH_TEST_H
#define WH_TEST_H
#include <stdio.h>
#include <string.h>

extern int test_passed, test_failed;
extern const char *test_current;

#define CHECK(cond)                                                                                                    \
	do {                                                                                                           \
		if(cond) {                                                                                             \
			test_passed++;                                                                                 \
		} else {                                                                                               \
			test_failed++;                                                                                 \
			fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__, test_current, #cond);             \
		}                                                                                                      \
	} while(0)
#define CHECK_STR(a, b)                                                                                                \
	do {                                                                                                           \
		const char *a_ = (a), *b_ = (b);                                                                       \
		if(a_ && b_ && !strcmp(a_, b_)) {                                                                      \
			test_passed++;                                                                                 \
		} else {                                                                                               \
			test_failed++;                                                                                 \
			fprintf(stderr, "FAIL %s:%d [%s]: '%s' != '%s'\n", __FILE__, __LINE__, test_current,           \
			        a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                               \
		}                                                                                                      \
	} while(0)

/* Each unit test file registers its suites with TEST_SUITE(name) { ... }: no central list. */
typedef void (*test_suite_fn)(void);
void test_register(const char *name, test_suite_fn fn);
#define TEST_SUITE(name)                                                                                               \
	static void name(void);                                                                                        \
	__attribute__((constructor)) static void name##_register(void)                                                 \
	{                                                                                                              \
		test_register(#name, name);                                                                            \
	}                                                                                                              \
	static void name(void)

#endif
