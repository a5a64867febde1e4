/* The one configuration file (key = value) read by both binaries, with WH_<KEY>
 * environment overrides. Every key is declared in config.c with its type, default and
 * range; an unknown key or a bad value is an error naming the file and line. */
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
	CFG__COUNT
};

struct config {
	char *str[CFG__COUNT];     /* every key has a value after config_load (default or set) */
	long long num[CFG__COUNT]; /* parsed value for int and bool keys */
	char *path;                /* the file read, or NULL */
};

/* Loads defaults, then the file at path (may be NULL: defaults only), then the
 * environment. On error writes "FILE:LINE: message" into err and returns WH_ERR_CONFIG;
 * the config is then released. */
enum wh_err config_load(struct config *cfg, const char *path, char *err, size_t errlen);
void config_release(struct config *cfg);

/* Borrowed, valid until config_release. */
const char *config_str(const struct config *cfg, enum config_key key);
long long config_int(const struct config *cfg, enum config_key key);
bool config_bool(const struct config *cfg, enum config_key key);
const char *config_key_name(enum config_key key);

/* Writes every key's effective value as a config file (used by the stack scripts through
 * `webhooks-api print-config`). Secrets included, so the file must be 0600. */
void config_dump(const struct config *cfg, void (*emit)(const char *line, void *ctx), void *ctx);

#endif
