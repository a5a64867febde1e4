/* Jansson helpers: strict body parsing and field validation that names the bad field. */
#ifndef WH_JSON_UTIL_H
#define WH_JSON_UTIL_H
#include <jansson.h>
#include <stdbool.h>

#include "common/err.h"

/* Where validation failed: the JSON error body's "field" and "message". */
struct jx_err {
	char field[128];
	char message[384];
};

/* Records a validation failure; returns WH_ERR_INVALID so callers can `return jx_fail(...)`. */
enum wh_err jx_fail(struct jx_err *err, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parses a request body: must be one JSON object, no duplicate keys, no NUL in strings.
 * *out is new. WH_ERR_BAD_JSON (with err filled) on failure. */
enum wh_err jx_parse_object(const char *data, size_t len, json_t **out, struct jx_err *err);

/* Rejects any key of obj not in allowed (NULL-terminated). */
enum wh_err jx_only_keys(json_t *obj, const char *const *allowed, struct jx_err *err);

/* Field accessors. When the key is absent: *present=false (if given) and WH_OK, or
 * WH_ERR_INVALID when required. Wrong type or out-of-range values are WH_ERR_INVALID.
 * Returned strings are borrowed from obj. String lengths count bytes of UTF-8. */
enum wh_err jx_string(json_t *obj, const char *key, bool required, size_t minlen, size_t maxlen, const char **out,
                      struct jx_err *err);
enum wh_err jx_bool(json_t *obj, const char *key, bool required, bool *out, bool *present, struct jx_err *err);
enum wh_err jx_int(json_t *obj, const char *key, bool required, long long min, long long max, long long *out,
                   bool *present, struct jx_err *err);

/* json_decref for a value that may hold a secret (a request body with a webhook secret or
 * a private key, an answer with a secret): every string no one else holds (reference
 * count 1, inside containers no one else holds) is wiped with OPENSSL_cleanse first.
 * NULL-safe. */
void jx_decref_wiped(json_t *v);

/* Compact serialization, keys in insertion order. New string, free() it. */
char *jx_dumps(const json_t *v);

/* Sets obj[key] to the ISO-8601 form of ms, or null when ms < 0. */
void jx_set_time(json_t *obj, const char *key, long long ms);
/* Sets obj[key] to a string or null when s is NULL. */
void jx_set_str(json_t *obj, const char *key, const char *s);

#endif
