/* Config file parsing, typed keys, defaults and WH_<KEY> environment overrides. */
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/dbhosts.h"
#include "common/inbox_url.h"
#include "common/log.h"
#include "common/urlpolicy.h"
#include "common/xalloc.h"

extern char **environ;

/* How a value is read and checked. A new key is one line in keys[] below (name, type,
 * default, range); when the type alone can't tell a good value, one more line in checks[]
 * names a check function (the owning module's own parser, run on every value wherever it
 * comes from); a secret gets a line in secrets[]. A new kind of value is one parse function
 * and one line in parsers[]. */
enum cfg_type { T_STR, T_INT, T_BOOL, T_LOG_LEVEL, T_SECONDS_LIST };

/* Returns WH_OK for a good value, else WH_ERR_CONFIG with the reason in why. */
typedef enum wh_err (*cfg_check)(const char *val, char *why, size_t whylen);

static enum wh_err check_db_hosts(const char *val, char *why, size_t whylen);
static enum wh_err check_cidrs(const char *val, char *why, size_t whylen);
static enum wh_err check_public_base_url(const char *val, char *why, size_t whylen);

static const struct cfg_key {
	const char *name;
	enum cfg_type type;
	const char *def;
	long long min, max; /* T_INT: the value's range; T_SECONDS_LIST: each entry's */
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
    [CFG_LOG_LEVEL] = {"log_level", T_LOG_LEVEL, "info", 0, 0},
    [CFG_MAX_BODY_BYTES] = {"max_body_bytes", T_INT, "65536", 1024, 16 * 1024 * 1024},
    [CFG_ALLOW_HTTP_TARGETS] = {"allow_http_targets", T_BOOL, "false", 0, 1},
    [CFG_ALLOW_PRIVATE_TARGETS] = {"allow_private_targets", T_BOOL, "false", 0, 1},
    [CFG_ALLOW_CIDRS] = {"allow_cidrs", T_STR, "", 0, 0},
    [CFG_CONNECT_TIMEOUT_MS] = {"connect_timeout_ms", T_INT, "5000", 100, 600000},
    [CFG_REQUEST_TIMEOUT_MS] = {"request_timeout_ms", T_INT, "15000", 100, 600000},
    [CFG_RETRY_SCHEDULE] = {"retry_schedule", T_SECONDS_LIST, "5,300,1800,7200,18000,36000,36000", 1, 31536000},
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
    [CFG_FCGI_PROCESSES] = {"fcgi_processes", T_INT, "1", 1, 256},
    [CFG_KEEPALIVE_MAX_IDLE_SECONDS] = {"keepalive_max_idle_seconds", T_INT, "1", 0, 3600},
    [CFG_READ_CACHE_MS] = {"read_cache_ms", T_INT, "0", 0, 10000},
};

/* The keys whose value their type can't judge, and the function that does. */
static const cfg_check checks[CFG__COUNT] = {
    [CFG_DB_HOSTS] = check_db_hosts,
    [CFG_ALLOW_CIDRS] = check_cidrs,
    [CFG_PUBLIC_BASE_URL] = check_public_base_url,
    [CFG_EGRESS_PROXY] = urlpolicy_proxy_check,
};

/* The keys print-config masks and config_release wipes. */
static const bool secrets[CFG__COUNT] = {
    [CFG_DB_PASSWORD] = true,
};

const char *config_default_path(void)
{
#ifdef LINEHOOK_DEFAULT_CONFIG
	return LINEHOOK_DEFAULT_CONFIG;
#else
	return NULL;
#endif
}

const char *config_key_name(enum config_key key)
{
	return keys[key].name;
}

void config_env_name(enum config_key key, char *out, size_t outlen)
{
	snprintf(out, outlen, "WH_%s", keys[key].name);
	for(size_t i = 3; out[i]; i++)
		out[i] = (char)toupper((unsigned char)out[i]);
}

/* Each parser checks val for key k; on success it may set cfg->num[k] and returns 0, else
 * it writes why (without the key's name) and returns -1. */
typedef int (*cfg_parser)(struct config *cfg, int k, const char *val, char *why, size_t whylen);

static int parse_str(struct config *cfg, int k, const char *val, char *why, size_t whylen)
{
	(void)cfg, (void)k, (void)val, (void)why, (void)whylen;
	return 0;
}

static int parse_bool(struct config *cfg, int k, const char *val, char *why, size_t whylen)
{
	if(!strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "yes"))
		cfg->num[k] = 1;
	else if(!strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "no"))
		cfg->num[k] = 0;
	else {
		snprintf(why, whylen, "expected true or false, got '%s'", val);
		return -1;
	}
	return 0;
}

static int parse_int(struct config *cfg, int k, const char *val, char *why, size_t whylen)
{
	char *end;
	long long v;
	errno = 0;
	v = strtoll(val, &end, 10);
	if(errno || end == val || *end || v < keys[k].min || v > keys[k].max) {
		snprintf(why, whylen, "expected an integer in %lld..%lld, got '%s'", keys[k].min, keys[k].max, val);
		return -1;
	}
	cfg->num[k] = v;
	return 0;
}

static int parse_log_level(struct config *cfg, int k, const char *val, char *why, size_t whylen)
{
	int level = log_level_parse(val);
	if(level < 0) {
		snprintf(why, whylen, "expected error, warn, info or debug, got '%s'", val);
		return -1;
	}
	cfg->num[k] = level;
	return 0;
}

static int parse_seconds_list(struct config *cfg, int k, const char *val, char *why, size_t whylen)
{
	long long v[CONFIG_LIST_MAX];
	int n = config_parse_int_list(val, keys[k].min, keys[k].max, v, CONFIG_LIST_MAX);
	if(n < 0) {
		snprintf(why, whylen, "expected 1..%d comma-separated seconds, each in %lld..%lld, got '%s'",
		         CONFIG_LIST_MAX, keys[k].min, keys[k].max, val);
		return -1;
	}
	cfg->num[k] = n;
	return 0;
}

/* db_hosts is parsed where it is used (common/db.c); here only checked. */
static enum wh_err check_db_hosts(const char *val, char *why, size_t whylen)
{
	struct db_hosts hosts;
	if(db_hosts_parse(val, &hosts, why, whylen))
		return WH_ERR_CONFIG;
	db_hosts_release(&hosts);
	return WH_OK;
}

static enum wh_err check_cidrs(const char *val, char *why, size_t whylen)
{
	struct urlpolicy pol;
	if(urlpolicy_init(&pol, false, val, why, whylen))
		return WH_ERR_CONFIG;
	urlpolicy_release(&pol);
	return WH_OK;
}

static enum wh_err check_public_base_url(const char *val, char *why, size_t whylen)
{
	if(!*val || inbox_base_valid(val))
		return WH_OK;
	snprintf(why, whylen,
	         "expected an origin like https://hooks.example.com (http or https, host, optional port, no path), got "
	         "'%s'",
	         val);
	return WH_ERR_CONFIG;
}

static const cfg_parser parsers[] = {
    [T_STR] = parse_str,
    [T_INT] = parse_int,
    [T_BOOL] = parse_bool,
    [T_LOG_LEVEL] = parse_log_level,
    [T_SECONDS_LIST] = parse_seconds_list,
};

int config_parse_int_list(const char *text, long long min, long long max, long long *out, size_t maxn)
{
	const char *p = text;
	size_t n = 0;
	for(;;) {
		char *end;
		long long v;
		while(*p == ' ' || *p == '\t')
			p++;
		if(*p < '0' || *p > '9' || n == maxn)
			return -1;
		errno = 0;
		v = strtoll(p, &end, 10);
		if(errno || v < min || v > max)
			return -1;
		out[n++] = v;
		p = end;
		while(*p == ' ' || *p == '\t')
			p++;
		if(!*p)
			return (int)n;
		if(*p++ != ',')
			return -1;
	}
}

static void drop(struct config *cfg, int k)
{
	if(secrets[k] && cfg->str[k])
		xfree_secret(cfg->str[k], strlen(cfg->str[k]));
	else
		free(cfg->str[k]);
	cfg->str[k] = NULL;
}

static void store(struct config *cfg, int k, const char *val)
{
	drop(cfg, k);
	cfg->str[k] = xstrdup(val);
}

/* Checks and stores val for key k; on error writes "name: why" into why. */
static int parse_value(struct config *cfg, int k, const char *val, char *why, size_t whylen)
{
	char reason[400];
	if(parsers[keys[k].type](cfg, k, val, reason, sizeof(reason)) ||
	   (checks[k] && checks[k](val, reason, sizeof(reason)))) {
		/* a module's parser may already name the key; a reason may quote the value: never a
		 * secret's */
		size_t nl = strlen(keys[k].name);
		const char *r =
		    !strncmp(reason, keys[k].name, nl) && !strncmp(reason + nl, ": ", 2) ? reason + nl + 2 : reason;
		snprintf(why, whylen, "%s: %s", keys[k].name, secrets[k] ? "bad value (a secret: not shown)" : r);
		explicit_bzero(reason, sizeof(reason));
		return -1;
	}
	store(cfg, k, val);
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
		if(parse_value(cfg, k, val, why, sizeof(why))) {
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
		config_env_name((enum config_key)k, envname, sizeof(envname));
		val = getenv(envname);
		if(!val)
			continue;
		if(parse_value(cfg, k, val, why, sizeof(why))) {
			snprintf(err, errlen, "environment %s: %s", envname, why);
			return WH_ERR_CONFIG;
		}
	}
	return WH_OK;
}

/* Edit distance between a and b (each under 64 bytes; longer ones count as far apart). */
static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[64], prev, tmp;
	if(na >= 64 || nb >= 64)
		return 64;
	for(size_t j = 0; j <= nb; j++)
		row[j] = j;
	for(size_t i = 1; i <= na; i++) {
		prev = row[0];
		row[0] = i;
		for(size_t j = 1; j <= nb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if(row[j] + 1 < best)
				best = row[j] + 1;
			if(row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[nb];
}

/* A WH_ variable that names no key but is within two edits of one is most likely a typo
 * of it, silently ignored otherwise: say so. Others (WH_VAR, WH_HTTP_PORT: the stack
 * scripts' own) pass quietly. */
static void warn_near_misses(void)
{
	char envname[64];
	for(char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
		int near = -1;
		if(n < 4 || strncmp(*e, "WH_", 3))
			continue;
		for(int k = 0; k < CFG__COUNT; k++) {
			config_env_name((enum config_key)k, envname, sizeof(envname));
			if(strlen(envname) == n && !strncmp(envname, *e, n)) {
				near = -1;
				break;
			}
			if(near < 0 && edit_distance(*e, n, envname, strlen(envname)) <= 2)
				near = k;
		}
		if(near >= 0) {
			config_env_name((enum config_key)near, envname, sizeof(envname));
			log_warn("environment %.*s is not a config key and is ignored; did you mean %s?", (int)n, *e,
			         envname);
		}
	}
}

enum wh_err config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	enum wh_err result = WH_OK;
	char why[512];
	memset(cfg, 0, sizeof(*cfg));
	for(int k = 0; k < CFG__COUNT; k++)
		if(parse_value(cfg, k, keys[k].def, why, sizeof(why)))
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
	warn_near_misses();
out:
	if(result)
		config_release(cfg);
	return result;
}

void config_release(struct config *cfg)
{
	if(!cfg)
		return;
	for(int k = 0; k < CFG__COUNT; k++)
		drop(cfg, k);
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

void config_dump(const struct config *cfg, bool show_secrets, void (*emit)(const char *line, void *ctx), void *ctx)
{
	char line[4200];
	for(int k = 0; k < CFG__COUNT; k++) {
		bool mask = secrets[k] && !show_secrets && *cfg->str[k];
		snprintf(line, sizeof(line), "%s = %s", keys[k].name, mask ? CONFIG_MASK : cfg->str[k]);
		emit(line, ctx);
	}
	explicit_bzero(line, sizeof(line)); /* it may have held a secret */
}

enum wh_err config_set(struct config *cfg, enum config_key key, const char *value, char *err, size_t errlen)
{
	if(parse_value(cfg, key, value, err, errlen))
		return WH_ERR_CONFIG;
	return WH_OK;
}

/* The file's text with key's line set to "key = value" (appended when absent). New buf. */
static enum wh_err with_key_set(FILE *f, enum config_key key, const char *value, struct buf *out)
{
	char line[4096];
	bool done = false;
	enum wh_err result = WH_OK;
	buf_init(out, 1024 * 1024);
	while(!result && fgets(line, sizeof(line), f)) {
		char copy[4096], *name, *eq;
		snprintf(copy, sizeof(copy), "%s", line);
		name = trim(copy);
		eq = strchr(name, '=');
		if(*name != '#' && eq) {
			*eq = '\0';
			if(!strcmp(trim(name), keys[key].name)) {
				if(!done)
					result = buf_addf(out, "%s = %s\n", keys[key].name, value);
				done = true;
				continue;
			}
		}
		result = buf_adds(out, line);
	}
	if(!result && !done)
		result = buf_addf(out, "%s = %s\n", keys[key].name, value);
	explicit_bzero(line, sizeof(line));
	return result;
}

/* Writes text to a new file beside path with path's mode and owner, then renames it over. */
static enum wh_err replace_file(const char *path, const struct stat *st, const struct buf *text, char *err,
                                size_t errlen)
{
	char tmp[4200];
	enum wh_err result = WH_ERR_IO;
	int fd;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if(fd < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		return WH_ERR_IO;
	}
	/* the owner is kept when we may set it (root); anyone else writes a file of their own */
	if(write(fd, buf_str(text), text->len) != (ssize_t)text->len || fchmod(fd, st->st_mode & 07777) ||
	   (fchown(fd, st->st_uid, st->st_gid) && geteuid() == 0) || fsync(fd)) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	if(rename(tmp, path)) {
		snprintf(err, errlen, "%s: cannot replace: %s", path, strerror(errno));
		goto out;
	}
	result = WH_OK;
out:
	close(fd);
	if(result)
		unlink(tmp);
	return result;
}

enum wh_err config_file_set(const char *path, enum config_key key, const char *value, char *err, size_t errlen)
{
	struct config check;
	struct stat st;
	struct buf text;
	enum wh_err result;
	FILE *f;
	memset(&check, 0, sizeof(check));
	if(parse_value(&check, key, value, err, errlen)) {
		config_release(&check);
		return WH_ERR_CONFIG;
	}
	config_release(&check);
	f = fopen(path, "r");
	if(!f || fstat(fileno(f), &st)) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		if(f)
			fclose(f);
		return WH_ERR_IO;
	}
	result = with_key_set(f, key, value, &text);
	fclose(f);
	if(result)
		snprintf(err, errlen, "%s: too large to rewrite", path);
	else
		result = replace_file(path, &st, &text, err, errlen);
	if(secrets[key])
		crypto_buf_wipe(&text);
	else
		buf_release(&text);
	return result;
}
