/* Webhook input validation: a body parsed strictly, then checked as a create, an update and
 * a rotate-secret body under the strict URL policy. */
#include "fcgi-app/resources/webhooks/webhooks_input.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct urlpolicy strict;
	static int ready;
	struct jx_err err;
	json_t *body = NULL;
	char msg[128];
	if(!ready) {
		if(urlpolicy_init(&strict, false, "", msg, sizeof(msg)))
			abort();
		ready = 1;
	}
	if(jx_parse_object((const char *)data, size, &body, &err))
		return 0;
	for(int create = 0; create < 2; create++) {
		struct wh_rules rules = {
		    .create = create == 1, .allow_http = create == 0, .have_oauth_key = create == 0, .policy = &strict};
		struct wh_input in;
		if(!wh_input_parse(body, &rules, &in, &err) && create && !in.url)
			abort(); /* a valid create always has its url */
		wh_input_release(&in);
	}
	{
		struct wh_rotate_input rot;
		if(!wh_rotate_parse(body, &rot, &err) && (rot.overlap_seconds < 0 || rot.overlap_seconds > 604800))
			abort();
	}
	json_decref(body);
	return 0;
}
