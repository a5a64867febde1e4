/* Request parsing: a request URI (path and query) and a Content-Length value. */
#include "fcgi-app/core/reqparse.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *uri = fuzz_string(data, size);
	struct query_pair pairs[REQPARSE_MAX_QUERY];
	struct jx_err err;
	const char *query;
	char *path;
	size_t n = 0;
	long long len;
	if(!reqparse_uri(uri, &path, &query, &err) && query) {
		(void)reqparse_query(query, pairs, &n, &err); /* any answer is fine; it must not crash */
		reqparse_query_release(pairs, n);
	}
	if(!path || strlen(path) > strlen(uri))
		abort(); /* decoding never grows the path */
	free(path);
	if(!reqparse_content_length(uri, &len, &err) && (len < 0 || len > (1LL << 44)))
		abort();
	free(uri);
	return 0;
}
