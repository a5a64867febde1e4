/* Unit tests of the webhook body validators (fcgi-app/resources/webhooks/webhooks_input.c, webhooks_oauth.c). */
#include <string.h>

#include "common/crypto.h"
#include "common/json_util.h"
#include "fcgi-app/resources/webhooks/webhooks_store.h"
#include "fcgi-app/resources/webhooks/webhooks_input.h"
#include "fcgi-app/resources/webhooks/webhooks_oauth.h"
#include "tests/unit/test.h"

static json_t *last_body; /* in's strings are borrowed from it */

/* Parses body text with the create rules; returns the error field ("" when valid). */
static const char *field_of(const char *text, bool create, bool allow_http, struct wh_input *in)
{
	static struct jx_err err;
	struct wh_rules rules = {create, allow_http, false, NULL, NULL};
	enum wh_err r;
	memset(&err, 0, sizeof(err));
	memset(in, 0, sizeof(*in));
	json_decref(last_body);
	last_body = NULL;
	if(jx_parse_object(text, strlen(text), &last_body, &err))
		return "(bad json)";
	r = wh_input_parse(last_body, &rules, in, &err);
	if(r == WH_OK)
		return "";
	return err.field;
}

static const struct {
	const char *body;
	const char *field; /* "" = valid */
} input_cases[] = {
    {"{\"url\":\"https://hooks.example.com/test\",\"secret\":\"rUNbNyRdOC2FJm4rzTR5y1cs\",\"visitStates\":[\"PENDING\","
     "\"BOOKED\"],\"eventTypes\":[\"visit.created\",\"visit.updated\"],\"locationIds\":[\"AAAAAAAAAAAAAAAAAAAA\"],"
     "\"isActive\":false}",
     ""},
    {"{}", "url"},
    {"{\"url\":\"https://a.example/\",\"x\":1}", "x"},
    {"{\"url\":1}", "url"},
    {"{\"url\":\"http://a.example/\"}", "url"},
    {"{\"url\":\"https://a.example/\",\"secret\":\"123456789012345\"}", "secret"},
    {"{\"url\":\"https://a.example/\",\"secret\":\"1234567890123456\"}", ""},
    {"{\"url\":\"https://a.example/\",\"secret\":\"12345678901234\\n5\"}", "secret"},
    {"{\"url\":\"https://a.example/\",\"eventTypes\":[\"webhook.test\",\"nope\"]}", "eventTypes[1]"},
    {"{\"url\":\"https://a.example/\",\"eventTypes\":[\"visit.created\",\"visit.created\"]}", "eventTypes[1]"},
    {"{\"url\":\"https://a.example/\",\"eventTypes\":{}}", "eventTypes"},
    {"{\"url\":\"https://a.example/\",\"visitStates\":[\"SERVED\",\"SERVING\"]}", "visitStates[1]"},
    {"{\"url\":\"https://a.example/\",\"visitStates\":[\"serving\"]}", "visitStates[0]"},
    {"{\"url\":\"https://a.example/\",\"locationIds\":[\"short\"]}", "locationIds[0]"},
    {"{\"url\":\"https://a.example/\",\"locationIds\":[\"AAAAAAAAAAAAAAAAAAAA\",\"AAAAAAAAAAAAAAAAAAAA\"]}",
     "locationIds[1]"},
    {"{\"url\":\"https://a.example/\",\"isActive\":null}", "isActive"},
    {"{\"url\":\"https://a.example/\",\"description\":null}", ""},
    {"{\"url\":\"https://a.example/\",\"description\":[]}", "description"},
    {"{\"url\":\"https://a.example/\",\"description\":\"two\\r\\nlines\"}", "description"},
    {"{\"url\":\"https://a.example/\",\"description\":\"tab\\there\"}", "description"},
    {"{\"url\":\"https://a.example/\",\"description\":\"bell\\u0007\"}", "description"},
    {"{\"url\":\"https://a.example/\",\"description\":\"del\\u007f\"}", "description"},
    {"{\"url\":\"https://a.example/\",\"oAuth\":null}", ""},
    {"{\"url\":\"https://a.example/\",\"oAuth\":[]}", "oAuth"},
    {"{\"url\":\"https://a.example/\",\"oAuth\":{\"tokenUrl\":\"https://t/\",\"claims\":{\"iss\":\"i\",\"sub\":\"s\","
     "\"aud\":\"a\"}}}",
     "oAuth.privateKey"},
    {"{\"url\":\"https://a.example/\",\"oAuth\":{\"tokenUrl\":\"https://t/\",\"privateKey\":\"x\",\"claims\":{\"iss\":"
     "\"i\",\"sub\":\"s\",\"aud\":\"a\"}}}",
     "oAuth.privateKey"},
    {"{\"url\":\"https://a.example/\",\"oAuth\":{\"tokenUrl\":\"https://t/\",\"expiresIn\":3601,\"claims\":{}}}",
     "oAuth.expiresIn"},
    {"{\"url\":\"https://a.example/\",\"oAuth\":{\"tokenUrl\":\"https://t/\",\"claims\":{\"iss\":\"i\",\"sub\":\"\","
     "\"aud\":\"a\"}}}",
     "oAuth.claims.sub"},
    {"{\"url\":\"https://a.example/\",\"oAuth\":{\"tokenUrl\":\"https://t/\",\"claims\":{\"iss\":\"i\",\"sub\":\"s\","
     "\"aud\":\"a\",\"nbf\":1}}}",
     "oAuth.claims.nbf"},
    {"{\"url\":\"https://a.example/\",\"oAuth\":{\"tokenUrl\":\"ftp://t/\"}}", "oAuth.tokenUrl"},
    {"{\"url\":\"https://a.example/\",\"oAuth\":{\"key\":1}}", "oAuth.key"},
};

TEST_SUITE(webhook_input_cases)
{
	for(size_t i = 0; i < sizeof(input_cases) / sizeof(input_cases[0]); i++) {
		struct wh_input in;
		const char *f = field_of(input_cases[i].body, true, false, &in);
		if(strcmp(f, input_cases[i].field))
			fprintf(stderr, "  case %zu: field '%s', expected '%s'\n", i, f, input_cases[i].field);
		CHECK_STR(f, input_cases[i].field);
		wh_input_release(&in);
	}
}

TEST_SUITE(webhook_input_values)
{
	struct wh_input in;
	const char *f = field_of("{\"url\":\"http://a.example/\",\"visitStates\":[\"SERVING\",\"PENDING\"],"
	                         "\"description\":\"\\u00e9\\u00e9\"}",
	                         true, true, &in);
	CHECK_STR(f, "");
	CHECK(in.has_url && !strcmp(in.url, "http://a.example/"));
	CHECK_STR(json_string_value(json_array_get(in.visit_states, 0)), "SERVED");
	CHECK_STR(json_string_value(json_array_get(in.visit_states, 1)), "PENDING");
	CHECK(!in.has_event_types && !in.event_types && !in.has_location_ids && !in.has_is_active);
	CHECK(in.has_description && !strcmp(in.description, "\xc3\xa9\xc3\xa9"));
	wh_input_release(&in);
	/* updates: nothing required, fields absent stay absent */
	f = field_of("{\"isActive\":true}", false, false, &in);
	CHECK_STR(f, "");
	CHECK(!in.has_url && in.has_is_active && in.is_active && !in.has_secret && !in.has_oauth);
	wh_input_release(&in);
	json_decref(last_body);
	last_body = NULL;
}

TEST_SUITE(webhook_description_counts_characters)
{
	char body[1024];
	struct wh_input in;
	size_t n = (size_t)snprintf(body, sizeof(body), "{\"url\":\"https://a.example/\",\"description\":\"");
	for(int i = 0; i < 200; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "\xc3\xa9");
	snprintf(body + n, sizeof(body) - n, "\"}");
	CHECK_STR(field_of(body, true, false, &in), ""); /* 200 characters, 400 bytes */
	wh_input_release(&in);
	snprintf(body + n, sizeof(body) - n, "x\"}");
	CHECK_STR(field_of(body, true, false, &in), "description");
	wh_input_release(&in);
}

TEST_SUITE(webhook_secrets)
{
	char s[SECRET_LEN + 1], t[SECRET_LEN + 1];
	struct jx_err err;
	struct buf b;
	wh_secret_generate(s);
	wh_secret_generate(t);
	CHECK(strlen(s) == 24 && strcmp(s, t));
	for(size_t i = 0; i < 24; i++)
		CHECK((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'));
	CHECK(wh_secret_check(s, "secret", &err) == WH_OK);
	CHECK(wh_secret_check("0123456789abcde", "secret", &err) == WH_ERR_INVALID);
	CHECK(wh_secret_check(" ~0123456789abcd", "secret", &err) == WH_OK);
	CHECK(wh_secret_check("0123456789abcde\x7f", "secret", &err) == WH_ERR_INVALID);
	buf_init(&b, 0);
	CHECK(wh_standard_secret("rUNbNyRdOC2FJm4rzTR5y1cs", &b) == WH_OK);
	CHECK_STR(buf_str(&b), "whsec_clVOYk55UmRPQzJGSm00cnpUUjV5MWNz");
	buf_release(&b);
}

TEST_SUITE(webhook_rotate_input)
{
	struct wh_rotate_input in;
	struct jx_err err;
	json_t *body = json_object();
	CHECK(wh_rotate_parse(body, &in, &err) == WH_OK);
	CHECK(!in.secret && in.overlap_seconds == 86400);
	json_object_set_new(body, "overlapSeconds", json_integer(604801));
	CHECK(wh_rotate_parse(body, &in, &err) == WH_ERR_INVALID);
	CHECK_STR(err.field, "overlapSeconds");
	json_object_set_new(body, "overlapSeconds", json_integer(0));
	json_object_set_new(body, "secret", json_string("0123456789abcdef"));
	CHECK(wh_rotate_parse(body, &in, &err) == WH_OK);
	CHECK(in.overlap_seconds == 0 && !strcmp(in.secret, "0123456789abcdef"));
	json_object_set_new(body, "other", json_true());
	CHECK(wh_rotate_parse(body, &in, &err) == WH_ERR_INVALID);
	CHECK_STR(err.field, "other");
	json_decref(body);
}

/* The delivery worker opens the sealed columns with these exact AADs. */
TEST_SUITE(webhook_sealed_secret_aad)
{
	struct app app;
	struct buf sealed, plain;
	char aad[WHROW_AAD_MAX];
	memset(&app, 0, sizeof(app));
	memset(app.master_key, 7, sizeof(app.master_key));
	whrow_aad("0T6HyBrXIZuDl73ViyRp", WHROW_PREV_SECRET, aad);
	CHECK_STR(aad, "webhook:0T6HyBrXIZuDl73ViyRp:prev_secret");
	CHECK(wh_seal(&app, "0T6HyBrXIZuDl73ViyRp", "secret", "rUNbNyRdOC2FJm4rzTR5y1cs", &sealed) == WH_OK);
	CHECK(sealed.len == 12 + 24 + 16 && !memmem(sealed.ptr, sealed.len, "rUNbNyRd", 8));
	buf_init(&plain, 0);
	CHECK(crypto_open(app.master_key, "webhook:0T6HyBrXIZuDl73ViyRp:secret", sealed.ptr, sealed.len, &plain) ==
	      WH_OK);
	CHECK_STR(buf_str(&plain), "rUNbNyRdOC2FJm4rzTR5y1cs");
	crypto_buf_wipe(&plain);
	CHECK(whrow_open(app.master_key, "0T6HyBrXIZuDl73ViyRp", WHROW_SECRET, sealed.ptr, sealed.len, &plain) ==
	      WH_OK);
	CHECK_STR(buf_str(&plain), "rUNbNyRdOC2FJm4rzTR5y1cs");
	crypto_buf_wipe(&plain);
	CHECK(whrow_open(app.master_key, "AAAAAAAAAAAAAAAAAAAA", WHROW_SECRET, sealed.ptr, sealed.len, &plain) ==
	      WH_ERR_CRYPTO);
	crypto_buf_wipe(&plain);
	CHECK(crypto_open(app.master_key, "webhook:0T6HyBrXIZuDl73ViyRp:oauth_key", sealed.ptr, sealed.len, &plain) ==
	      WH_ERR_CRYPTO);
	crypto_buf_wipe(&plain);
	buf_release(&sealed);
}

TEST_SUITE(webhook_input_url_policy)
{
	struct urlpolicy strict;
	char msg[128];
	struct wh_rules rules = {true, true, false, &strict, NULL};
	struct wh_input in;
	struct jx_err err;
	json_t *body = json_pack("{s:s}", "url", "http://[::1]:8080/hook");
	CHECK(urlpolicy_init(&strict, false, "", msg, sizeof(msg)) == WH_OK);
	CHECK(wh_input_parse(body, &rules, &in, &err) == WH_ERR_INVALID);
	CHECK_STR(err.field, "url");
	wh_input_release(&in);
	json_decref(body);
	body =
	    json_pack("{s:s, s:{s:s, s:s, s:{s:s, s:s, s:s}}}", "url", "https://example.com/", "oAuth", "tokenUrl",
	              "https://169.254.169.254/token", "privateKey", "x", "claims", "iss", "i", "sub", "s", "aud", "a");
	CHECK(wh_input_parse(body, &rules, &in, &err) == WH_ERR_INVALID);
	CHECK_STR(err.field, "oAuth.tokenUrl");
	wh_input_release(&in);
	json_decref(body);
	urlpolicy_release(&strict);
}
