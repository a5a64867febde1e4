/* OAuth's pure parts: form encoding, token answers, expiry margins, the token cache. */
#include <string.h>

#include "delivery-worker/oauth.h"
#include "tests/unit/test.h"

TEST_SUITE(oauth_form_encoding)
{
	struct buf b;
	buf_init(&b, 0);
	CHECK(oauth_form_escape("aZ09-._~", &b) == WH_OK);
	CHECK_STR(buf_str(&b), "aZ09-._~");
	buf_reset(&b);
	oauth_form_escape("a b+c/d=e&f%\xc3\xa9", &b);
	CHECK_STR(buf_str(&b), "a%20b%2Bc%2Fd%3De%26f%25%C3%A9");
	buf_reset(&b);
	CHECK(oauth_form("h.p.s", NULL, &b) == WH_OK);
	CHECK_STR(buf_str(&b), "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=h.p.s");
	buf_reset(&b);
	oauth_form("h.p.s", "read write:all", &b);
	CHECK(strstr(buf_str(&b), "&assertion=h.p.s&scope=read%20write%3Aall") != NULL);
	buf_release(&b);
}

static enum wh_err parse(long status, const char *body, struct buf *tok, long long *exp, char *why)
{
	return oauth_token_parse(status, body, strlen(body), tok, exp, why, OAUTH_REASON_MAX);
}

TEST_SUITE(oauth_token_answers)
{
	struct buf tok;
	long long exp = -1;
	char why[OAUTH_REASON_MAX];
	buf_init(&tok, 0);
	CHECK(parse(200, "{\"access_token\":\"abc.def\",\"token_type\":\"Bearer\",\"expires_in\":120}", &tok, &exp,
	            why) == WH_OK);
	CHECK_STR(buf_str(&tok), "abc.def");
	CHECK(exp == 120);
	CHECK(parse(200, "{\"access_token\":\"x\",\"token_type\":\"bearer\"}", &tok, &exp, why) == WH_OK);
	CHECK(exp == OAUTH_DEFAULT_EXPIRES_S);
	CHECK(parse(200, "{\"access_token\":\"x\",\"expires_in\":\"90\"}", &tok, &exp, why) == WH_OK && exp == 90);
	CHECK(parse(200, "{\"access_token\":\"x\",\"expires_in\":99999999}", &tok, &exp, why) == WH_OK &&
	      exp == OAUTH_MAX_EXPIRES_S);
	CHECK(parse(201, "{\"access_token\":\"x\"}", &tok, &exp, why) == WH_OK);

	CHECK(parse(400, "{\"error\":\"invalid_grant\"}", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK_STR(why, "token server answered 400 (invalid_grant)");
	CHECK(tok.len == 0);
	CHECK(parse(500, "<html>", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK_STR(why, "token server answered 500");
	CHECK(parse(401, "{\"error\":\"Bad <b>code</b>\"}", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK_STR(why, "token server answered 401");
	CHECK(parse(200, "not json", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK_STR(why, "token answer is not a JSON object");
	CHECK(parse(200, "{\"token_type\":\"Bearer\"}", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK_STR(why, "token answer has no access_token");
	CHECK(parse(200, "{\"access_token\":\"\"}", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK(parse(200, "{\"access_token\":\"a b\"}", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK(parse(200, "{\"access_token\":\"a\\r\\nX-Evil: 1\"}", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK_STR(why, "access_token is not a usable bearer token");
	CHECK(parse(200, "{\"access_token\":7}", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK(parse(200, "{\"access_token\":\"x\",\"token_type\":\"mac\"}", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK(parse(200, "{\"access_token\":\"x\",\"expires_in\":-1}", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK(parse(200, "{\"access_token\":\"x\",\"expires_in\":\"soon\"}", &tok, &exp, why) == WH_ERR_INVALID);
	CHECK_STR(why, "expires_in is not a number of seconds");
	buf_release(&tok);
}

TEST_SUITE(oauth_expiry_margin)
{
	CHECK(oauth_valid_until(1000000, 3600) == 1000000 + 3600000 - 30000);
	CHECK(oauth_valid_until(1000000, 300) == 1000000 + 300000 - 30000);
	CHECK(oauth_valid_until(1000000, 60) == 1000000 + 60000 - 6000);
	CHECK(oauth_valid_until(1000000, 2) == 1000000 + 2000 - 200);
	CHECK(oauth_valid_until(1000000, 0) == 1000000);
}

TEST_SUITE(oauth_token_cache)
{
	struct oauth_cache *c = oauth_cache_new(2);
	unsigned long gen = 0, g1, g2;
	char fp[65], fp2[65];
	oauth_fingerprint("{\"a\":1}", "key", 3, fp);
	oauth_fingerprint("{\"a\":1}", "kez", 3, fp2);
	CHECK(strlen(fp) == 64 && strcmp(fp, fp2));
	CHECK(oauth_cache_get(c, "w1", fp, 0, &gen) == NULL);
	g1 = oauth_cache_put(c, "w1", fp, "t1", 5000, 0);
	CHECK_STR(oauth_cache_get(c, "w1", fp, 4999, &gen), "t1");
	CHECK(gen == g1);
	CHECK(oauth_cache_get(c, "w1", fp, 5000, &gen) == NULL); /* expired and removed */
	CHECK(oauth_cache_size(c) == 0);

	g1 = oauth_cache_put(c, "w1", fp, "t1", 5000, 0);
	CHECK(oauth_cache_get(c, "w1", fp2, 1, &gen) == NULL); /* settings changed */
	g1 = oauth_cache_put(c, "w1", fp, "t1", 5000, 0);
	g2 = oauth_cache_put(c, "w1", fp, "t2", 5000, 0); /* replaces */
	CHECK(g2 != g1 && oauth_cache_size(c) == 1);
	oauth_cache_drop(c, "w1", g1); /* an older token: nothing dropped */
	CHECK_STR(oauth_cache_get(c, "w1", fp, 1, &gen), "t2");
	oauth_cache_drop(c, "w1", g2);
	CHECK(oauth_cache_get(c, "w1", fp, 1, &gen) == NULL);

	oauth_cache_put(c, "w1", fp, "t1", 9000, 10);
	oauth_cache_put(c, "w2", fp, "t2", 9000, 20);
	CHECK(oauth_cache_get(c, "w1", fp, 30, &gen) != NULL); /* w1 used last */
	oauth_cache_put(c, "w3", fp, "t3", 9000, 40);          /* evicts w2 */
	CHECK(oauth_cache_size(c) == 2);
	CHECK(oauth_cache_get(c, "w2", fp, 50, &gen) == NULL);
	CHECK_STR(oauth_cache_get(c, "w1", fp, 50, &gen), "t1");
	CHECK_STR(oauth_cache_get(c, "w3", fp, 50, &gen), "t3");
	oauth_cache_free(c);
	oauth_cache_free(NULL);
}
