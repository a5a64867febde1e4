/* Unit tests of the db_hosts list (common/dbhosts.h) and its check by config_load. */
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/dbhosts.h"
#include "tests/unit/test.h"

TEST_SUITE(db_hosts_entries)
{
	struct db_hosts h;
	char err[256] = "";
	CHECK(db_hosts_parse("", &h, err, sizeof(err)) == WH_OK);
	CHECK(h.n == 0);
	CHECK(db_hosts_parse(" 127.0.0.1:3306 , db-2.example:13306,[::1]:3307,/run/n4.sock ", &h, err, sizeof(err)) ==
	      WH_OK);
	CHECK(h.n == 4);
	CHECK_STR(h.v[0].host, "127.0.0.1");
	CHECK(h.v[0].port == 3306 && h.v[0].socket == NULL);
	CHECK_STR(h.v[1].host, "db-2.example");
	CHECK(h.v[1].port == 13306);
	CHECK_STR(h.v[2].host, "::1");
	CHECK(h.v[2].port == 3307);
	CHECK_STR(h.v[3].socket, "/run/n4.sock");
	CHECK(h.v[3].host == NULL);
	db_hosts_release(&h);
	CHECK(h.n == 0 && h.v == NULL);
}

TEST_SUITE(db_hosts_refused)
{
	static const char *const bad[] = {"127.0.0.1",     "127.0.0.1:", "127.0.0.1:0",    "127.0.0.1:65536",
	                                  "a:1,,b:2",      "::1:3306x",  "[::1]3306",      "host name:3306",
	                                  "relative.sock", "h:+5",       "h:3306 trailing"};
	struct db_hosts h;
	char err[256];
	for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(db_hosts_parse(bad[i], &h, err, sizeof(err)) == WH_ERR_CONFIG);
		CHECK(h.n == 0 && h.v == NULL);
		CHECK(strstr(err, "db_hosts: '") == err);
	}
}

TEST_SUITE(db_hosts_checked_by_config)
{
	struct config cfg;
	char err[512] = "";
	setenv("WH_DB_HOSTS", "127.0.0.1:3306,nope", 1);
	CHECK(config_load(&cfg, NULL, err, sizeof(err)) == WH_ERR_CONFIG);
	CHECK(strstr(err, "'nope'") != NULL);
	setenv("WH_DB_HOSTS", "127.0.0.1:3306,127.0.0.1:3307", 1);
	setenv("WH_DB_SYNC_WAIT", "1", 1);
	CHECK(config_load(&cfg, NULL, err, sizeof(err)) == WH_OK);
	CHECK_STR(config_str(&cfg, CFG_DB_HOSTS), "127.0.0.1:3306,127.0.0.1:3307");
	CHECK(config_int(&cfg, CFG_DB_SYNC_WAIT) == 1);
	config_release(&cfg);
	setenv("WH_DB_SYNC_WAIT", "16", 1);
	CHECK(config_load(&cfg, NULL, err, sizeof(err)) == WH_ERR_CONFIG);
	unsetenv("WH_DB_HOSTS");
	unsetenv("WH_DB_SYNC_WAIT");
}
