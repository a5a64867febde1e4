/* Request input the resources share: an update's body, id-valued query parameters,
 * optional nullable strings, free text without control characters, and the 409 answer. */
#ifndef WH_FIELDS_H
#define WH_FIELDS_H
#include <jansson.h>
#include <stdbool.h>

#include "fcgi-app/core/http.h"

/* True when s has no control characters but \t \n \r (and no DEL). Pure. */
bool field_text_valid(const char *s);

/* Optional string field that may be null (to clear it). *present tells whether the key was
 * given; *out is NULL for null. Checks length (bytes, minlen..maxlen) and control
 * characters (only \t \n \r allowed when multiline, none otherwise). Borrowed from obj. */
enum wh_err field_nullable_string(json_t *obj, const char *key, size_t minlen, size_t maxlen, bool multiline,
                                  const char **out, bool *present, struct jx_err *err);

/* The body of an update of the object {id} (req->params[0]): WH_ERR_NOT_FOUND when that is
 * not an id, else the JSON object (optional: empty is {}) with no key outside keys (when
 * keys is not NULL). *body is new. */
enum wh_err field_read_update(struct request *req, const char *const *keys, json_t **body);

/* Parses ?name=<id> into *out (borrowed, NULL when absent); 400 when not an id. */
enum wh_err field_query_id(struct request *req, const char *name, const char **out);

/* Fills req->err with the message (no field) and returns WH_ERR_CONFLICT (409). */
enum wh_err field_conflict(struct request *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Compares a stored nullable string with a new value (either may be NULL). */
bool field_str_eq(const char *a, const char *b);

#endif
