/* The router on the API's own route table: "METHOD PATH" in, a route or 404/405 out, and
 * the captured parameters are non-empty segments of the path. */
#include "fcgi-app/core/router.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_string(data, size);
	char *space = strchr(in, ' ');
	struct request req;
	const struct route *r = NULL;
	enum wh_err result;
	memset(&req, 0, sizeof(req));
	req.method = xstrdup(space ? (*space = '\0', in) : "GET");
	req.path = xstrdup(space ? space + 1 : in);
	result = router_match(routes, &req, &r);
	if(result != WH_OK && result != WH_ERR_NOT_FOUND && result != WH_ERR_METHOD)
		abort();
	for(size_t i = 0; !result && i < HTTP_MAX_PARAMS && req.params[i]; i++)
		if(!req.params[i][0] || strchr(req.params[i], '/'))
			abort();
	free(req.method);
	free(req.path);
	free(req.path_copy);
	free(in);
	return 0;
}
