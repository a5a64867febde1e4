/* Config file parsing, typed keys, defaults and WH_<KEY> environment overrides. */
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dbhosts.h"
#include "common/inbox_url.h"
#include "common/log.h"
#include "common/urlpolicy.h"
#include "common/xalloc.h"

enum cfg_type { T_STR, T_INT, T_BOOL };

static const struct {
	const char *name;
	enum cfg_type type;
	const char *def;
	long long min, max;
} keys[CFG__COUNT] = {
    [CFG_DB_SOCKET] = {"db_socket", T_STR, "var/mysql.sock", 0, 0},
    [CFG_DB_HOST] = {"db_host", T_STR, "localhost", 0, 0},
    [CFG_DB_PORT] = {"db_port", T_INT, "3307", 1, 65535},
    [CFG_DB_USER] = {"db_user", T_STR, "linehook", 0, 0},
    [CFG_DB_PASSWORD] = {"db_password", T_STR, "", 0, 0},
    [CFG_DB_NAME] = {"db_name", T_STR, "linehook", 0, 0},
    [CFG_DB_HOSTS] = {"db_hosts", T_STR, "", 0, 0},
    [CFG_DB_SYNC_WAIT] = {"db_sync_wait", T_INT, "0", 0, 15},
    [CFG_SQL_DIR] = {"sql_dir", T_STR, "sql", 0, 0},
    [CFG_MASTER_KEY_FILE] = {"master_key_file", T_STR, "var/master.key", 0, 0},
    [CFG_LOG_LEVEL] = {"log_level", T_STR, "info", 0, 0},
    [CFG_MAX_BODY_BYTES] = {"max_body_bytes", T_INT, "65536", 1024, 16 * 1024 * 1024},
    [CFG_ALLOW_HTTP_TARGETS] = {"allow_http_targets", T_BOOL, "false", 0, 1},
    [CFG_ALLOW_PRIVATE_TARGETS] = {"allow_private_targets", T_BOOL, "false", 0, 1},
    [CFG_ALLOW_CIDRS] = {"allow_cidrs", T_STR, "", 0, 0},
    [CFG_CONNECT_TIMEOUT_MS] = {"connect_timeout_ms", T_INT, "5000", 100, 600000},
    [CFG_REQUEST_TIMEOUT_MS] = {"request_timeout_ms", T_INT, "15000", 100, 600000},
    [CFG_RETRY_SCHEDULE] = {"retry_schedule", T_STR, "5,300,1800,7200,18000,36000,36000", 0, 0},
    [CFG_DISABLE_AFTER_SECONDS] = {"disable_after_seconds", T_INT, "259200", 1, 365LL * 86400},
    [CFG_RETENTION_DAYS] = {"retention_days", T_INT, "30", 1, 3650},
    [CFG_WORKER_BATCH] = {"worker_batch", T_INT, "200", 1, 5000},
    [CFG_WORKER_POLL_MS] = {"worker_poll_ms", T_INT, "100", 1, 60000},
    [CFG_LEASE_SECONDS] = {"lease_seconds", T_INT, "60", 5, 3600},
    [CFG_MAX_IN_FLIGHT] = {"max_in_flight", T_INT, "1024", 1, 100000},
    [CFG_PER_ENDPOINT_CONCURRENCY] = {"per_endpoint_concurrency", T_INT, "16", 1, 10000},
    [CFG_FAULT_POINT] = {"fault_point", T_STR, "", 0, 0},
    [CFG_RATE_LIMIT_PER_SECOND] = {"rate_limit_per_second", T_INT, "100", 0, 1000000},
    [CFG_RATE_LIMIT_BURST] = {"rate_limit_burst", T_INT, "200", 1, 1000000},
    [CFG_PUBLIC_BASE_URL] = {"public_base_url", T_STR, "", 0, 0},
    [CFG_EGRESS_PROXY] = {"egress_proxy", T_STR, "", 0, 0},
};

const char *config_key_name(enum config_key key)
{
	return keys[key].name;
}

static int parse_value(struct config *cfg, enum config_key k, const char *val, char *why, size_t whylen)
{
	char *end;
	long long v;
	if(k == CFG_PUBLIC_BASE_URL && *val && !inbox_base_valid(val)) {
		snprintf(why, whylen,
		         "%s: expected an origin like https://hooks.example.com (http or https, host, optional port, "
		         "no path), got '%s'",
		         keys[k].name, val);
		return -1;
	}
	if(k == CFG_EGRESS_PROXY && urlpolicy_proxy_check(val, why, whylen))
		return -1;
	if(keys[k].type == T_STR)
		goto store;
	if(keys[k].type == T_BOOL) {
		if(!strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "yes"))
			v = 1;
		else if(!strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "no"))
			v = 0;
		else {
			snprintf(why, whylen, "%s: expected true or false, got '%s'", keys[k].name, val);
			return -1;
		}
		cfg->num[k] = v;
		goto store;
	}
	errno = 0;
	v = strtoll(val, &end, 10);
	if(errno || end == val || *end || v < keys[k].min || v > keys[k].max) {
		snprintf(why, whylen, "%s: expected an integer in %lld..%lld, got '%s'", keys[k].name, keys[k].min,
		         keys[k].max, val);
		return -1;
	}
	cfg->num[k] = v;
store:
	free(cfg->str[k]);
	cfg->str[k] = xstrdup(val);
	return 0;
}

static int find_key(const char *name)
{
	for(int k = 0; k < CFG__COUNT; k++)
		if(!strcmp(keys[k].name, name))
			return k;
	return -1;
}

static char *trim(char *s)
{
	char *e;
	while(isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while(e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static enum wh_err load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char line[4096];
	char why[512];
	int lineno = 0;
	FILE *f = fopen(path, "r");
	if(!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return WH_ERR_CONFIG;
	}
	while(fgets(line, sizeof(line), f)) {
		char *eq, *name, *val;
		int k;
		lineno++;
		name = trim(line);
		if(!*name || *name == '#')
			continue;
		eq = strchr(name, '=');
		if(!eq) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
			goto fail;
		}
		*eq = '\0';
		name = trim(name);
		val = trim(eq + 1);
		k = find_key(name);
		if(k < 0) {
			snprintf(err, errlen, "%s:%d: unknown key '%s'", path, lineno, name);
			goto fail;
		}
		if(parse_value(cfg, (enum config_key)k, val, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			goto fail;
		}
	}
	fclose(f);
	return WH_OK;
fail:
	fclose(f);
	return WH_ERR_CONFIG;
}

static enum wh_err load_env(struct config *cfg, char *err, size_t errlen)
{
	char envname[64];
	char why[512];
	for(int k = 0; k < CFG__COUNT; k++) {
		const char *val;
		size_t i;
		snprintf(envname, sizeof(envname), "WH_%s", keys[k].name);
		for(i = 3; envname[i]; i++)
			envname[i] = (char)toupper((unsigned char)envname[i]);
		val = getenv(envname);
		if(!val)
			continue;
		if(parse_value(cfg, (enum config_key)k, val, why, sizeof(why))) {
			snprintf(err, errlen, "environment %s: %s", envname, why);
			return WH_ERR_CONFIG;
		}
	}
	return WH_OK;
}

/* db_hosts is parsed where it is used (common/db.c); a bad list stops the program here. */
static enum wh_err config_check_db_hosts(const struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct db_hosts hosts;
	char why[256];
	if(db_hosts_parse(cfg->str[CFG_DB_HOSTS], &hosts, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", path ? path : "config", why);
		return WH_ERR_CONFIG;
	}
	db_hosts_release(&hosts);
	return WH_OK;
}

enum wh_err config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	enum wh_err result = WH_OK;
	char why[512];
	memset(cfg, 0, sizeof(*cfg));
	for(int k = 0; k < CFG__COUNT; k++)
		if(parse_value(cfg, (enum config_key)k, keys[k].def, why, sizeof(why)))
			abort(); /* a bad default is a programming error */
	if(path) {
		cfg->path = xstrdup(path);
		result = load_file(cfg, path, err, errlen);
		if(result)
			goto out;
	}
	result = load_env(cfg, err, errlen);
	if(result)
		goto out;
	if(log_level_parse(cfg->str[CFG_LOG_LEVEL]) < 0) {
		snprintf(err, errlen, "%s: log_level must be error, warn, info or debug", path ? path : "config");
		result = WH_ERR_CONFIG;
		goto out;
	}
	result = config_check_db_hosts(cfg, path, err, errlen);
out:
	if(result)
		config_release(cfg);
	return result;
}

void config_release(struct config *cfg)
{
	if(!cfg)
		return;
	for(int k = 0; k < CFG__COUNT; k++) {
		if(k == CFG_DB_PASSWORD && cfg->str[k])
			xfree_secret(cfg->str[k], strlen(cfg->str[k]));
		else
			free(cfg->str[k]);
		cfg->str[k] = NULL;
	}
	free(cfg->path);
	cfg->path = NULL;
}

const char *config_str(const struct config *cfg, enum config_key key)
{
	return cfg->str[key];
}

long long config_int(const struct config *cfg, enum config_key key)
{
	return cfg->num[key];
}

bool config_bool(const struct config *cfg, enum config_key key)
{
	return cfg->num[key] != 0;
}

void config_dump(const struct config *cfg, void (*emit)(const char *line, void *ctx), void *ctx)
{
	char line[4200];
	for(int k = 0; k < CFG__COUNT; k++) {
		snprintf(line, sizeof(line), "%s = %s", keys[k].name, cfg->str[k]);
		emit(line, ctx);
	}
}
