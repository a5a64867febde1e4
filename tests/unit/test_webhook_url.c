/* Unit tests of the webhook URL syntax check (fcgi-app/resources/webhooks/webhook_url.c). */
#include <string.h>

#include "fcgi-app/resources/webhooks/webhook_url.h"
#include "tests/unit/test.h"

static const struct {
	const char *url;
	bool allow_http;
	bool ok;
	enum wh_url_host kind;
	const char *host;
	int port;
} url_cases[] = {
    {"https://example.com/hook", false, true, WH_URL_HOST_DNS, "example.com", 443},
    {"https://example.com", false, true, WH_URL_HOST_DNS, "example.com", 443},
    {"HTTPS://EXAMPLE.com:8443/a?b=c#d", false, true, WH_URL_HOST_DNS, "EXAMPLE.com", 8443},
    {"https://example.com?x=1", false, true, WH_URL_HOST_DNS, "example.com", 443},
    {"http://example.com/", true, true, WH_URL_HOST_DNS, "example.com", 80},
    {"https://203.0.113.7:1/", false, true, WH_URL_HOST_IPV4, "203.0.113.7", 1},
    {"https://[2001:db8::1]/", false, true, WH_URL_HOST_IPV6, "2001:db8::1", 443},
    {"https://[::ffff:127.0.0.1]:65535/", false, true, WH_URL_HOST_IPV6, "::ffff:127.0.0.1", 65535},
    {"https://a/%41", false, true, WH_URL_HOST_DNS, "a", 443},
    {"https://x1-y.z9.example/", false, true, WH_URL_HOST_DNS, "x1-y.z9.example", 443},
    {"http://example.com/", false, false, 0, NULL, 0},
    {"ftp://example.com/", true, false, 0, NULL, 0},
    {"//example.com/", true, false, 0, NULL, 0},
    {"/relative", true, false, 0, NULL, 0},
    {"https:example.com", true, false, 0, NULL, 0},
    {"https://", true, false, 0, NULL, 0},
    {"https:///x", true, false, 0, NULL, 0},
    {"https://u:p@example.com/", true, false, 0, NULL, 0},
    {"https://u@example.com/", true, false, 0, NULL, 0},
    {"https://example.com/@x", true, true, WH_URL_HOST_DNS, "example.com", 443},
    {"https://exa mple.com/", true, false, 0, NULL, 0},
    {"https://example.com/\x01", true, false, 0, NULL, 0},
    {"https://example.com/\x7f", true, false, 0, NULL, 0},
    {"https://example.com/#a b", true, false, 0, NULL, 0},
    {"https://example.com/\xc3\xa9", true, false, 0, NULL, 0},
    {"https://example.com\\@evil.com/", true, false, 0, NULL, 0},
    {"https://example.com/%2", true, false, 0, NULL, 0},
    {"https://example.com/%g0", true, false, 0, NULL, 0},
    {"https://-a.example/", true, false, 0, NULL, 0},
    {"https://a-.example/", true, false, 0, NULL, 0},
    {"https://a..example/", true, false, 0, NULL, 0},
    {"https://.a.example/", true, false, 0, NULL, 0},
    {"https://a.example./", true, false, 0, NULL, 0},
    {"https://a_b.example/", true, false, 0, NULL, 0},
    {"https://1.2.3.4.5/", true, false, 0, NULL, 0},
    {"https://1.2.3/", true, false, 0, NULL, 0},
    {"https://256.1.1.1/", true, false, 0, NULL, 0},
    {"https://0x7f.1/", true, false, 0, NULL, 0}, /* a numeric last label must make dotted IPv4 */
    {"https://1e100.example/", true, true, WH_URL_HOST_DNS, "1e100.example", 443},
    {"https://123.example/", true, true, WH_URL_HOST_DNS, "123.example", 443},
    {"https://[::1/", true, false, 0, NULL, 0},
    {"https://[::1]x/", true, false, 0, NULL, 0},
    {"https://[fe80::1%eth0]/", true, false, 0, NULL, 0},
    {"https://[]/", true, false, 0, NULL, 0},
    {"https://::1/", true, false, 0, NULL, 0},
    {"https://a.example:0/", true, false, 0, NULL, 0},
    {"https://a.example:65536/", true, false, 0, NULL, 0},
    {"https://a.example:/", true, false, 0, NULL, 0},
    {"https://a.example:123456/", true, false, 0, NULL, 0},
    {"https://a.example:-1/", true, false, 0, NULL, 0},
    {"https://a.example:80:80/", true, false, 0, NULL, 0},
};

TEST_SUITE(webhook_url_cases)
{
	for(size_t i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++) {
		struct wh_url u;
		struct jx_err err = {{0}, {0}};
		enum wh_err r = wh_url_check(url_cases[i].url, url_cases[i].allow_http, "url", &u, &err);
		bool ok = r == WH_OK;
		if(ok != url_cases[i].ok)
			fprintf(stderr, "  case %zu: %s\n", i, url_cases[i].url);
		CHECK(ok == url_cases[i].ok);
		if(!ok) {
			CHECK_STR(err.field, "url");
			CHECK(!strncmp(err.message, "url: ", 5));
			continue;
		}
		CHECK(u.host_kind == url_cases[i].kind);
		CHECK_STR(u.host, url_cases[i].host);
		CHECK(u.port == url_cases[i].port);
	}
}

TEST_SUITE(webhook_url_length)
{
	char url[WH_URL_MAX + 2];
	struct jx_err err;
	size_t prefix = strlen("https://a.example/");
	memcpy(url, "https://a.example/", prefix);
	memset(url + prefix, 'x', WH_URL_MAX - prefix);
	url[WH_URL_MAX] = '\0';
	CHECK(wh_url_check(url, false, "url", NULL, &err) == WH_OK);
	url[WH_URL_MAX] = 'x';
	url[WH_URL_MAX + 1] = '\0';
	CHECK(wh_url_check(url, false, "url", NULL, &err) == WH_ERR_INVALID);
	/* a 64-byte label and a 254-byte host are too long */
	char host[300] = "https://";
	memset(host + 8, 'a', 64);
	memcpy(host + 72, ".com/", sizeof(".com/"));
	CHECK(wh_url_check(host, false, "oAuth.tokenUrl", NULL, &err) == WH_ERR_INVALID);
	CHECK_STR(err.field, "oAuth.tokenUrl");
	memcpy(host + 8 + 63, ".com/", sizeof(".com/")); /* a 63-byte label is fine */
	CHECK(wh_url_check(host, false, "url", NULL, &err) == WH_OK);
}

/* With allow_private_targets off, literal hosts the URL policy refuses are refused here. */
TEST_SUITE(webhook_url_policy)
{
	static const struct {
		const char *url;
		bool ok;
	} cases[] = {
	    {"https://8.8.8.8/", true},
	    {"https://[2606:4700:4700::1111]/", true},
	    {"https://localhost.example/", true}, /* names are checked on connect, by the worker */
	    {"https://127.0.0.1/", false},
	    {"https://127.1.2.3:8443/", false},
	    {"https://10.0.0.1/", false},
	    {"https://192.168.1.1/", false},
	    {"https://169.254.169.254/latest/meta-data", false},
	    {"https://100.64.0.1/", false},
	    {"https://0.0.0.0/", false},
	    {"https://224.0.0.1/", false},
	    {"https://[::1]/", false},
	    {"https://[::]/", false},
	    {"https://[fe80::1]/", false},
	    {"https://[fd00::1]/", false},
	    {"https://[::ffff:127.0.0.1]/", false},
	    {"https://[::ffff:10.0.0.1]/", false},
	    {"https://[64:ff9b::a00:1]/", false},
	    {"https://[2002:7f00:1::]/", false},
	};
	struct urlpolicy strict, open, listed;
	char err[128];
	struct jx_err jerr;
	CHECK(urlpolicy_init(&strict, false, "", err, sizeof(err)) == WH_OK);
	CHECK(urlpolicy_init(&open, true, "", err, sizeof(err)) == WH_OK);
	CHECK(urlpolicy_init(&listed, false, "127.0.0.0/8", err, sizeof(err)) == WH_OK);
	for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&jerr, 0, sizeof(jerr));
		bool ok = wh_url_allowed(cases[i].url, false, &strict, "url", &jerr) == WH_OK;
		if(ok != cases[i].ok)
			fprintf(stderr, "  policy case %s\n", cases[i].url);
		CHECK(ok == cases[i].ok);
		CHECK(ok || !strcmp(jerr.field, "url"));
		CHECK(wh_url_allowed(cases[i].url, false, &open, "url", &jerr) == WH_OK);
		CHECK(wh_url_allowed(cases[i].url, false, NULL, "url", &jerr) == WH_OK);
	}
	CHECK(wh_url_allowed("https://127.0.0.1/", false, &strict, "oAuth.tokenUrl", &jerr) == WH_ERR_INVALID);
	CHECK_STR(jerr.field, "oAuth.tokenUrl");
	CHECK(strstr(jerr.message, "loopback") != NULL);
	CHECK(wh_url_allowed("https://127.0.0.1/", false, &listed, "url", &jerr) == WH_OK);
	CHECK(wh_url_allowed("https://[::ffff:127.0.0.1]/", false, &listed, "url", &jerr) == WH_OK);
	CHECK(wh_url_allowed("https://10.0.0.1/", false, &listed, "url", &jerr) == WH_ERR_INVALID);
	CHECK(wh_url_allowed("http://8.8.8.8/", false, &open, "url", &jerr) == WH_ERR_INVALID); /* syntax first */
	urlpolicy_release(&strict);
	urlpolicy_release(&open);
	urlpolicy_release(&listed);
}
