/* The URL check and policy: a webhook URL under the strict policy (no private targets) and
 * the permissive one, and raw addresses through the classifier. */
#include <arpa/inet.h>
#include <strings.h>

#include "fcgi-app/resources/webhooks/webhook_url.h"
#include "tests/fuzz/fuzz.h"

static void classify(const uint8_t *data, size_t size)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	memset(&in, 0, sizeof(in));
	memset(&in6, 0, sizeof(in6));
	in.sin_family = AF_INET;
	in6.sin6_family = AF_INET6;
	memcpy(&in.sin_addr, data, size < 4 ? size : 4);
	memcpy(&in6.sin6_addr, data, size < 16 ? size : 16);
	(void)urlpolicy_class_name(urlpolicy_classify((struct sockaddr *)&in, sizeof(in)));
	(void)urlpolicy_class_name(urlpolicy_classify((struct sockaddr *)&in6, sizeof(in6)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct urlpolicy strict, open;
	static int ready;
	char msg[128];
	char *url = fuzz_string(data, size);
	struct jx_err err;
	if(!ready) {
		if(urlpolicy_init(&strict, false, "", msg, sizeof(msg)) ||
		   urlpolicy_init(&open, true, "10.0.0.0/8,fd00::/8", msg, sizeof(msg)))
			abort();
		ready = 1;
	}
	if(!wh_url_allowed(url, false, &strict, "url", &err) && strncasecmp(url, "https://", 8))
		abort(); /* without allow_http only https:// passes (any case) */
	(void)wh_url_allowed(url, true, &open, "url", &err);
	classify(data, size);
	free(url);
	return 0;
}
