/* Validation of webhook request bodies (SPEC §4, §5): pure functions, no database. They
 * check syntax and ranges and name the bad field; what needs the database (locations of
 * the account, limits) is checked by the handlers. */
#ifndef WH_WEBHOOKS_INPUT_H
#define WH_WEBHOOKS_INPUT_H
#include <jansson.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/ids.h"
#include "common/json_util.h"
#include "common/urlpolicy.h"

#define WH_SECRET_MIN 16
#define WH_SECRET_MAX 128
#define WH_DESCRIPTION_MAX 200
/* rateLimit: deliveries per second. */
#define WH_RATE_LIMIT_MIN 1
#define WH_RATE_LIMIT_MAX 1000
#define WH_LOCATIONS_MAX 100
#define WH_OVERLAP_DEFAULT 86400
#define WH_OVERLAP_MAX 604800

struct wh_rules {
	bool create;                    /* url required; privateKey required with oAuth */
	bool allow_http;                /* config allow_http_targets */
	bool have_oauth_key;            /* update: a stored key lets oAuth omit privateKey */
	const struct urlpolicy *policy; /* refuses literal IP hosts it does not allow; NULL: none */
	const char *inbox_base;         /* public_base_url: its inbox URLs pass whatever the policy; NULL: none */
};

/* A parsed body. has_* tell which fields were given. Strings are borrowed from the body;
 * json_t members are new (released by wh_input_release). */
struct wh_input {
	bool has_url, has_secret, has_oauth, has_event_types, has_location_ids, has_visit_states;
	bool has_is_active, has_description, has_headers, has_ordering, has_rate_limit;
	const char *url;
	const char *secret;
	json_t *oauth_meta;    /* {"tokenUrl","expiresIn","claims"}; NULL with has_oauth = oAuth: null */
	const char *oauth_key; /* PEM, NULL when not given */
	json_t *event_types;   /* array of known types, no repeats */
	json_t *location_ids;  /* array of well-formed ids, no repeats (ownership unchecked) */
	json_t *visit_states;  /* array of canonical states, no repeats */
	bool is_active;
	const char *description; /* NULL for absent or null */
	json_t *headers;         /* name -> value, or -> null (update: keep the stored value); {} for null */
	const char *ordering;    /* "none" or "fifo" (static) when has_ordering */
	long long rate_limit;    /* deliveries per second, 0 for null (none) */
};

enum wh_err wh_input_parse(json_t *body, const struct wh_rules *rules, struct wh_input *in, struct jx_err *err);

/* Operational event types (webhook.disabled, webhook.recovered) reach account-wide webhooks
 * only: WH_ERR_INVALID naming eventTypes[i] when types (may be NULL) lists one and
 * location_ids (may be NULL) is not empty. */
enum wh_err wh_operational_check(const json_t *types, const json_t *location_ids, struct jx_err *err);
void wh_input_release(struct wh_input *in);

/* rotate-secret body {"secret"?, "overlapSeconds"?}. secret is borrowed, NULL when absent. */
struct wh_rotate_input {
	const char *secret;
	long long overlap_seconds;
};
enum wh_err wh_rotate_parse(json_t *body, struct wh_rotate_input *in, struct jx_err *err);

/* 16..128 printable ASCII characters. */
enum wh_err wh_secret_check(const char *secret, const char *field, struct jx_err *err);
/* A new 24-character [A-Za-z0-9] secret; out needs SECRET_LEN + 1 bytes. */
void wh_secret_generate(char *out);
/* Appends "whsec_" + base64(secret bytes) to out. */
enum wh_err wh_standard_secret(const char *secret, struct buf *out);

#endif
