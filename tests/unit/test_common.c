/* Unit tests of the common layer: buf, config, ids, times, crypto, json helpers. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/events.h"
#include "common/ids.h"
#include "common/json_util.h"
#include "tests/unit/test.h"

TEST_SUITE(buf_limits)
{
	struct buf b;
	buf_init(&b, 8);
	CHECK(buf_adds(&b, "abcd") == WH_OK);
	CHECK(buf_addf(&b, "%d", 123) == WH_OK);
	CHECK_STR(buf_str(&b), "abcd123");
	CHECK(buf_adds(&b, "xy") == WH_ERR_TOO_LARGE);
	CHECK(b.len == 0 && b.ptr == NULL); /* a failed append releases, like curl's dynbuf */
	buf_release(&b);
}

TEST_SUITE(ids_and_times)
{
	char id[ID_LEN + 1], iso[TIME_ISO_LEN + 1];
	long long ms = 0;
	id_new(id);
	CHECK(strlen(id) == 20);
	CHECK(id_valid(id));
	CHECK(!id_valid("short"));
	CHECK(!id_valid("0T6HyBrXIZuDl73ViyR-"));
	time_format_iso(1779199571923LL, iso);
	CHECK_STR(iso, "2026-05-19T14:06:11.923Z");
	CHECK(time_parse_iso("2026-05-19T14:06:11.923Z", &ms) && ms == 1779199571923LL);
	CHECK(time_parse_iso("2026-05-19T14:06:11Z", &ms) && ms == 1779199571000LL);
	CHECK(!time_parse_iso("2026-05-19 14:06:11Z", &ms));
	CHECK(!time_parse_iso("2026-13-19T14:06:11Z", &ms));
	CHECK(!time_parse_iso("2026-05-19T14:06:11.923", &ms));
}

TEST_SUITE(crypto_seal_bound_to_row)
{
	unsigned char key[CRYPTO_KEY_LEN] = {1, 2, 3};
	struct buf sealed, plain;
	buf_init(&sealed, 0);
	buf_init(&plain, 0);
	CHECK(crypto_seal(key, "webhook:A:secret", "hunter2hunter2hunter2", 21, &sealed) == WH_OK);
	CHECK(sealed.len == 12 + 21 + 16);
	CHECK(memmem(sealed.ptr, sealed.len, "hunter2", 7) == NULL);
	CHECK(crypto_open(key, "webhook:A:secret", sealed.ptr, sealed.len, &plain) == WH_OK);
	CHECK_STR(buf_str(&plain), "hunter2hunter2hunter2");
	buf_release(&plain);
	CHECK(crypto_open(key, "webhook:B:secret", sealed.ptr, sealed.len, &plain) == WH_ERR_CRYPTO);
	sealed.ptr[14] ^= 1;
	CHECK(crypto_open(key, "webhook:A:secret", sealed.ptr, sealed.len, &plain) == WH_ERR_CRYPTO);
	buf_release(&sealed);
	buf_release(&plain);
}

TEST_SUITE(crypto_base64_and_hash)
{
	struct buf b;
	char hex[65];
	buf_init(&b, 0);
	crypto_base64("rUNbNyRdOC2FJm4rzTR5y1cs", 24, &b);
	CHECK_STR(buf_str(&b), "clVOYk55UmRPQzJGSm00cnpUUjV5MWNz");
	buf_reset(&b);
	CHECK(crypto_base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 32, &b) == WH_OK);
	CHECK(b.len == 24);
	buf_reset(&b);
	CHECK(crypto_base64_decode("a=bc", 4, &b) == WH_ERR_INVALID);
	buf_release(&b);
	crypto_sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK(crypto_equal("abc", "abc", 3));
	CHECK(!crypto_equal("abc", "abd", 3));
}

TEST_SUITE(json_strict)
{
	json_t *v = NULL;
	struct jx_err err = {0};
	static const char *const allowed[] = {"a", NULL};
	CHECK(jx_parse_object("{\"a\":1,\"a\":2}", 13, &v, &err) == WH_ERR_BAD_JSON);
	CHECK(jx_parse_object("[1]", 3, &v, &err) == WH_ERR_BAD_JSON);
	CHECK(jx_parse_object("{\"a\":\"x\\u0000y\"}", 16, &v, &err) == WH_ERR_BAD_JSON);
	CHECK(jx_parse_object("{\"a\":1,\"b\":2}", 13, &v, &err) == WH_OK);
	CHECK(jx_only_keys(v, allowed, &err) == WH_ERR_INVALID);
	CHECK_STR(err.field, "b");
	json_decref(v);
}

TEST_SUITE(event_catalog)
{
	CHECK(event_type_valid("visit.created"));
	CHECK(event_type_valid("webhook.test"));
	CHECK(!event_type_valid("visit.foo"));
	CHECK_STR(visit_state_canonical("SERVING"), "SERVED");
	CHECK_STR(visit_state_canonical("BOOKED"), "BOOKED");
	CHECK(visit_state_canonical("booked") == NULL);
}

TEST_SUITE(config_errors_name_file_and_line)
{
	struct config cfg;
	char err[512] = "";
	char path[] = "/tmp/lh-config-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs("# comment\ndb_port = 3310\nnope = 1\n", f);
	fclose(f);
	CHECK(config_load(&cfg, path, err, sizeof(err)) == WH_ERR_CONFIG);
	CHECK(strstr(err, ":3: unknown key 'nope'") != NULL);
	f = fopen(path, "w");
	fputs("db_port = 3310\nallow_http_targets = true\n", f);
	fclose(f);
	setenv("WH_DB_PORT", "3400", 1);
	CHECK(config_load(&cfg, path, err, sizeof(err)) == WH_OK);
	CHECK(config_int(&cfg, CFG_DB_PORT) == 3400);
	CHECK(config_bool(&cfg, CFG_ALLOW_HTTP_TARGETS));
	config_release(&cfg);
	setenv("WH_DB_PORT", "x", 1);
	CHECK(config_load(&cfg, path, err, sizeof(err)) == WH_ERR_CONFIG);
	unsetenv("WH_DB_PORT");
	f = fopen(path, "w");
	fputs("db_port = 99999\n", f);
	fclose(f);
	CHECK(config_load(&cfg, path, err, sizeof(err)) == WH_ERR_CONFIG);
	CHECK(strstr(err, ":1: db_port") != NULL);
	unlink(path);
}
