/* The one configuration file (key = value) read by both binaries, with WH_<KEY>
 * environment overrides. Every key is one entry of the table in config.c: its type
 * (string, integer, boolean, log level, list of seconds), default and range; a value its
 * type can't judge (allow_cidrs) also has a check function, a secret a mark. config_load is
 * the only validation of the configuration: both binaries and `print-config` go through
 * it, so a value one of them accepts none refuses. An unknown key or a bad value is an
 * error naming the file and line, or the environment variable it came from. */
#ifndef WH_CONFIG_H
#define WH_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

enum config_key {
	CFG_DB_SOCKET,
	CFG_DB_HOST,
	CFG_DB_PORT,
	CFG_DB_USER,
	CFG_DB_PASSWORD,
	CFG_DB_NAME,
	CFG_DB_HOSTS,
	CFG_DB_SYNC_WAIT,
	CFG_SQL_DIR,
	CFG_MASTER_KEY_FILE,
	CFG_LOG_LEVEL,
	CFG_MAX_BODY_BYTES,
	CFG_ALLOW_HTTP_TARGETS,
	CFG_ALLOW_PRIVATE_TARGETS,
	CFG_ALLOW_CIDRS,
	CFG_CONNECT_TIMEOUT_MS,
	CFG_REQUEST_TIMEOUT_MS,
	CFG_RETRY_SCHEDULE,
	CFG_DISABLE_AFTER_SECONDS,
	CFG_RETENTION_DAYS,
	CFG_WORKER_BATCH,
	CFG_WORKER_POLL_MS,
	CFG_LEASE_SECONDS,
	CFG_MAX_IN_FLIGHT,
	CFG_PER_ENDPOINT_CONCURRENCY,
	CFG_FAULT_POINT,
	CFG_RATE_LIMIT_PER_SECOND,
	CFG_RATE_LIMIT_BURST,
	CFG_PUBLIC_BASE_URL,
	CFG_EGRESS_PROXY,
	CFG_FCGI_PROCESSES,
	CFG_KEEPALIVE_MAX_IDLE_SECONDS,
	CFG_READ_CACHE_MS,
	CFG__COUNT
};

/* The most entries a list key (retry_schedule) may have. */
#define CONFIG_LIST_MAX 32

struct config {
	char *str[CFG__COUNT];     /* every key has a value after config_load (default or set) */
	long long num[CFG__COUNT]; /* parsed value for int and bool keys */
	char *path;                /* the file read, or NULL */
};

/* The config file read when none is given: the build's LINEHOOK_DEFAULT_CONFIG (the
 * Debian package is built with /etc/linehook/webhooks.conf), else NULL (built-in defaults
 * and the environment only). */
const char *config_default_path(void);

/* Loads defaults, then the file at path (may be NULL: defaults only), then the
 * environment, checking every value. On error writes "FILE:LINE: message" (or
 * "environment WH_KEY: message") into err and returns WH_ERR_CONFIG; the config is then
 * released. A WH_ variable that is no key but close to one (WH_RETENTION_DAY) is logged as a
 * warning naming the key meant. */
enum wh_err config_load(struct config *cfg, const char *path, char *err, size_t errlen);
void config_release(struct config *cfg);

/* Borrowed, valid until config_release. */
const char *config_str(const struct config *cfg, enum config_key key);
long long config_int(const struct config *cfg, enum config_key key);
bool config_bool(const struct config *cfg, enum config_key key);
const char *config_key_name(enum config_key key);

/* Writes every key's effective value as "key = value" lines. Secret keys (db_password)
 * read CONFIG_MASK unless show_secrets; with show_secrets the output is a complete config
 * file (the stack scripts write theirs that way), which must then be kept 0600. */
#define CONFIG_MASK "********"
void config_dump(const struct config *cfg, bool show_secrets, void (*emit)(const char *line, void *ctx), void *ctx);

/* Checks value as key's and stores it in cfg (a derived config, such as setup's
 * administrator connection). WH_ERR_CONFIG with the reason in err when it is refused. */
enum wh_err config_set(struct config *cfg, enum config_key key, const char *value, char *err, size_t errlen);

/* Sets key to value in the config file at path, keeping every other line: the key's line is
 * replaced (or appended when absent). The file is replaced atomically and keeps its mode
 * and owner. The value is checked first; err receives the reason on failure. */
enum wh_err config_file_set(const char *path, enum config_key key, const char *value, char *err, size_t errlen);

/* Parses a comma-separated list of integers, each in min..max (spaces allowed around
 * entries), 1..maxn of them, into out. Returns the count, or -1 when malformed. */
int config_parse_int_list(const char *text, long long min, long long max, long long *out, size_t maxn);

/* The name of the environment variable that overrides key: "WH_" + the upper-cased name.
 * Writes into out (at least 64 bytes). */
void config_env_name(enum config_key key, char *out, size_t outlen);

#endif
