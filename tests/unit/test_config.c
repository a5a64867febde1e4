/* Unit tests of the one config validation (common/config.c): every kind of value, the
 * FILE:LINE and environment messages, masking, the list parser. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "tests/unit/test.h"

/* Writes text to a new temporary file; returns its path in path (at least 32 bytes). */
static void write_temp(char *path, const char *text)
{
	int fd;
	FILE *f;
	snprintf(path, 32, "/tmp/lh-config-XXXXXX");
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

/* Loads text as a config file; returns the error ("" when it loaded). */
static const char *load_text(const char *text)
{
	static char err[512];
	char path[32];
	struct config cfg;
	err[0] = '\0';
	write_temp(path, text);
	if(config_load(&cfg, path, err, sizeof(err)) == WH_OK)
		config_release(&cfg);
	unlink(path);
	/* keep what follows "PATH:" so the cases need not know the temporary name */
	return strchr(err, ':') ? strchr(err, ':') + 1 : err;
}

TEST_SUITE(config_refuses_bad_values_with_line)
{
	static const struct {
		const char *text, *err; /* err: "" when the text is valid */
	} cases[] = {
	    {"retry_schedule = 5,-3,0\n", "1: retry_schedule: expected 1..32 comma-separated seconds"},
	    {"retry_schedule = 5,300,0\n", "1: retry_schedule:"},
	    {"retry_schedule = 5,,6\n", "1: retry_schedule:"},
	    {"retry_schedule = \n", "1: retry_schedule:"},
	    {"retry_schedule = 5, 300 ,1800\n", ""},
	    {"# c\n\nallow_cidrs = 10.0.0.0/33, banana\n", "3: allow_cidrs: bad CIDR '10.0.0.0/33'"},
	    {"allow_cidrs = 10.0.0.0/8, banana\n", "1: allow_cidrs: bad CIDR 'banana'"},
	    {"allow_cidrs = 10.0.0.0/8, ::1/128\n", ""},
	    {"log_level = loud\n", "1: log_level: expected error, warn, info or debug"},
	    {"log_level = debug\n", ""},
	    {"allow_http_targets = maybe\n", "1: allow_http_targets: expected true or false"},
	    {"db_port = 0\n", "1: db_port: expected an integer in 1..65535"},
	    {"db_port = 33o7\n", "1: db_port:"},
	    {"retention_days = 30\nretention_day = 3\n", "2: unknown key 'retention_day'"},
	    {"db_port 3307\n", "1: expected 'key = value'"},
	    /* the keys whose owning module checks them (checks[] in config.c) */
	    {"egress_proxy = socks5://127.0.0.1:1080\n", "1: egress_proxy: expected http://HOST:PORT"},
	    {"egress_proxy = http://127.0.0.1:3128\n", ""},
	    {"public_base_url = https://hooks.example.com/path\n", "1: public_base_url: expected an origin"},
	    {"public_base_url = https://hooks.example.com\n", ""},
	    {"db_hosts = 127.0.0.1:3306, no-port\n", "1: db_hosts: 'no-port' is not host:port"},
	    {"db_hosts = 127.0.0.1:3306, /run/mysqld/mysqld.sock\n", ""},
	    {"fcgi_processes = 0\n", "1: fcgi_processes: expected an integer in 1..256"},
	    {"keepalive_max_idle_seconds = 0\n", ""},
	    {"keepalive_max_idle_seconds = -1\n", "1: keepalive_max_idle_seconds: expected an integer in 0..3600"},
	    {"read_cache_ms = 10001\n", "1: read_cache_ms: expected an integer in 0..10000"},
	    {"read_cache_ms = 1000\n", ""},
	};
	for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *err = load_text(cases[i].text);
		if(!*cases[i].err)
			CHECK_STR(err, "");
		else if(strncmp(err, cases[i].err, strlen(cases[i].err))) {
			fprintf(stderr, "  case %zu: got '%s'\n", i, err);
			CHECK(!"error as expected");
		} else
			CHECK(1);
	}
}

TEST_SUITE(config_env_overrides_named_as_such)
{
	struct config cfg;
	char err[512] = "";
	setenv("WH_RETRY_SCHEDULE", "5,abc", 1);
	CHECK(config_load(&cfg, NULL, err, sizeof(err)) == WH_ERR_CONFIG);
	CHECK(strstr(err, "environment WH_RETRY_SCHEDULE: retry_schedule:") == err);
	setenv("WH_RETRY_SCHEDULE", "1,1,2", 1);
	CHECK(config_load(&cfg, NULL, err, sizeof(err)) == WH_OK);
	CHECK_STR(config_str(&cfg, CFG_RETRY_SCHEDULE), "1,1,2");
	CHECK(config_int(&cfg, CFG_RETRY_SCHEDULE) == 3); /* the entry count */
	config_release(&cfg);
	unsetenv("WH_RETRY_SCHEDULE");
	config_env_name(CFG_RETENTION_DAYS, err, sizeof(err));
	CHECK_STR(err, "WH_RETENTION_DAYS");
}

static void collect(const char *line, void *ctx)
{
	size_t used = strlen((char *)ctx);
	snprintf((char *)ctx + used, 4096 - used, "%s\n", line);
}

TEST_SUITE(config_dump_masks_secrets)
{
	struct config cfg;
	char err[512] = "", path[32];
	static char out[4096];
	write_temp(path, "db_password = s3cret-Value\n");
	CHECK(config_load(&cfg, path, err, sizeof(err)) == WH_OK);
	out[0] = '\0';
	config_dump(&cfg, false, collect, out);
	CHECK(strstr(out, "s3cret-Value") == NULL);
	CHECK(strstr(out, "\ndb_password = " CONFIG_MASK "\n") != NULL);
	CHECK(strstr(out, "\nretention_days = 30\n") != NULL);
	out[0] = '\0';
	config_dump(&cfg, true, collect, out);
	CHECK(strstr(out, "\ndb_password = s3cret-Value\n") != NULL);
	config_release(&cfg);
	unlink(path);
	/* an empty secret is shown as empty: nothing to hide, and it tells the admin it is unset */
	CHECK(config_load(&cfg, NULL, err, sizeof(err)) == WH_OK);
	out[0] = '\0';
	config_dump(&cfg, false, collect, out);
	CHECK(strstr(out, "\ndb_password = \n") != NULL);
	config_release(&cfg);
}

TEST_SUITE(config_int_list)
{
	long long v[4];
	CHECK(config_parse_int_list("5,300", 1, 1000, v, 4) == 2 && v[0] == 5 && v[1] == 300);
	CHECK(config_parse_int_list(" 7 ", 1, 1000, v, 4) == 1 && v[0] == 7);
	CHECK(config_parse_int_list("1,2,3,4,5", 1, 1000, v, 4) == -1); /* too many */
	CHECK(config_parse_int_list("0", 1, 1000, v, 4) == -1);
	CHECK(config_parse_int_list("1001", 1, 1000, v, 4) == -1);
	CHECK(config_parse_int_list("-1", -5, 1000, v, 4) == -1); /* signs are not accepted */
	CHECK(config_parse_int_list("1;2", 1, 1000, v, 4) == -1);
	CHECK(config_parse_int_list("", 1, 1000, v, 4) == -1);
}
