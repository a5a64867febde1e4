/* Unit tests of custom header rules (common/custom_headers.c), the headers field
 * (fcgi-app/resources/webhooks/webhooks_headers.c) and inbox URLs (common/inbox_url.c). */
#include <string.h>

#include "common/custom_headers.h"
#include "common/inbox_url.h"
#include "fcgi-app/resources/webhooks/webhooks_headers.h"
#include "tests/unit/test.h"

TEST_SUITE(custom_header_names_and_values)
{
	char long_name[CUSTOM_HEADER_NAME_MAX + 2], long_value[CUSTOM_HEADER_VALUE_MAX + 2];
	CHECK(custom_header_name_valid("X-Api-Key"));
	CHECK(custom_header_name_valid("x!#$%&'*+.^_`|~9"));
	CHECK(!custom_header_name_valid(""));
	CHECK(!custom_header_name_valid("X Key"));
	CHECK(!custom_header_name_valid("X:Key"));
	CHECK(!custom_header_name_valid("X-\xc3\xa9"));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[CUSTOM_HEADER_NAME_MAX] = '\0';
	CHECK(custom_header_name_valid(long_name));
	long_name[CUSTOM_HEADER_NAME_MAX] = 'a';
	long_name[CUSTOM_HEADER_NAME_MAX + 1] = '\0';
	CHECK(!custom_header_name_valid(long_name));
	CHECK(custom_header_value_valid("Basic dXNlcjpwYXNz"));
	CHECK(!custom_header_value_valid(""));
	CHECK(!custom_header_value_valid(" lead"));
	CHECK(!custom_header_value_valid("trail "));
	CHECK(!custom_header_value_valid("a\r\nB: c"));
	CHECK(!custom_header_value_valid("a\tb"));
	CHECK(!custom_header_value_valid("caf\xc3\xa9"));
	memset(long_value, '~', sizeof(long_value) - 1);
	long_value[CUSTOM_HEADER_VALUE_MAX] = '\0';
	CHECK(custom_header_value_valid(long_value));
	long_value[CUSTOM_HEADER_VALUE_MAX] = '~';
	long_value[CUSTOM_HEADER_VALUE_MAX + 1] = '\0';
	CHECK(!custom_header_value_valid(long_value));
}

TEST_SUITE(custom_header_reserved_names)
{
	static const char *const reserved[] = {"Content-Type", "content-length",      "HOST",
	                                       "User-Agent",   "Connection",          "Transfer-Encoding",
	                                       "webhook-id",   "Webhook-Anything",    "X-Waitwhile-Signature",
	                                       "Expect",       "Proxy-Authorization", NULL};
	for(size_t i = 0; reserved[i]; i++)
		CHECK(custom_header_reserved(reserved[i], false));
	CHECK(!custom_header_reserved("Authorization", false));
	CHECK(custom_header_reserved("authorization", true));
	CHECK(!custom_header_reserved("X-Api-Key", true));
	CHECK(!custom_header_reserved("webhook", false));
	CHECK(!custom_header_reserved("X-Webhook-Id", false));
}

TEST_SUITE(webhook_headers_parse_fill_mask)
{
	struct jx_err err;
	json_t *out = NULL, *stored, *masked;
	json_t *v = json_loads("{\"X-A\":\"abcdefgh\",\"X-B\":null}", 0, NULL);
	CHECK(wh_headers_parse(v, false, false, &out, &err) == WH_ERR_INVALID);
	CHECK_STR(err.field, "headers.X-B");
	CHECK(wh_headers_parse(v, true, false, &out, &err) == WH_OK);
	stored = json_loads("{\"x-b\":\"kept-value\"}", 0, NULL);
	CHECK(wh_headers_fill(out, stored, &err) == WH_OK);
	CHECK_STR(json_string_value(json_object_get(out, "X-B")), "kept-value");
	masked = wh_headers_masked(out);
	CHECK_STR(json_string_value(json_object_get(masked, "X-A")), "****efgh");
	CHECK_STR(json_string_value(json_object_get(masked, "X-B")), "****alue");
	json_decref(masked);
	json_object_set_new(out, "Short", json_string("1234567"));
	masked = wh_headers_masked(out);
	CHECK_STR(json_string_value(json_object_get(masked, "Short")), "****");
	json_decref(masked);
	json_decref(out);
	json_decref(stored);
	json_decref(v);
	v = json_loads("{\"Authorization\":\"Bearer x\"}", 0, NULL);
	CHECK(wh_headers_parse(v, false, true, &out, &err) == WH_ERR_INVALID);
	CHECK_STR(err.field, "headers.Authorization");
	CHECK(wh_headers_oauth_check(v, &err) == WH_ERR_INVALID);
	json_decref(v);
}

TEST_SUITE(inbox_urls)
{
	static const char base[] = "http://127.0.0.1:8080";
	CHECK(inbox_base_valid("https://hooks.example.com"));
	CHECK(inbox_base_valid("http://[::1]:8080"));
	CHECK(!inbox_base_valid("https://hooks.example.com/"));
	CHECK(!inbox_base_valid("https://hooks.example.com/base"));
	CHECK(!inbox_base_valid("ftp://hooks.example.com"));
	CHECK(!inbox_base_valid("https://user@hooks.example.com"));
	CHECK(!inbox_base_valid("https://"));
	CHECK(inbox_url_match("http://127.0.0.1:8080/in/abcdefghijklmnopqrstuv", base));
	CHECK(!inbox_url_match("http://127.0.0.1:8080/in/abcdefghijklmnopqrstu", base));
	CHECK(!inbox_url_match("http://127.0.0.1:8080/in/abcdefghijklmnopqrstuvw", base));
	CHECK(!inbox_url_match("http://127.0.0.1:8080/in/abcdefghijklmnopqrstuv/", base));
	CHECK(!inbox_url_match("http://127.0.0.1:8080/in/abcdefghijklmnopqrstuv?x", base));
	CHECK(!inbox_url_match("http://127.0.0.1:80800/in/abcdefghijklmnopqrstuv", base));
	CHECK(!inbox_url_match("http://127.0.0.1:8080/v2/abcdefghijklmnopqrstuv", base));
	CHECK(!inbox_url_match("https://127.0.0.1:8080/in/abcdefghijklmnopqrstuv", base));
	CHECK(!inbox_url_match("http://127.0.0.1:8080/in/abcdefghijklmnopqrstuv", ""));
	CHECK(!inbox_url_match("http://127.0.0.1:8080/in/abcdefghijklmnopqrst-v", base));
}
