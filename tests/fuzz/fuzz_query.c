/* Query string parsing: every pair decoded, names unique, at most REQPARSE_MAX_QUERY. */
#include "fcgi-app/core/reqparse.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *q = fuzz_string(data, size);
	struct query_pair pairs[REQPARSE_MAX_QUERY];
	struct jx_err err;
	size_t n = 0;
	enum wh_err result = reqparse_query(q, pairs, &n, &err);
	if(n > REQPARSE_MAX_QUERY)
		abort();
	for(size_t i = 0; !result && i < n; i++)
		for(size_t j = i + 1; j < n; j++)
			if(!strcmp(pairs[i].name, pairs[j].name))
				abort();
	reqparse_query_release(pairs, n);
	free(q);
	return 0;
}
