/* The `headers` field of a webhook (SPEC §14): parsing, merging with the stored set,
 * masking for answers. The set is stored twice: sealed in full (headers_enc, AAD
 * "webhook:<id>:headers") for the worker, and masked (headers_masked) for answers, so
 * reading a webhook never opens it. */
#ifndef WH_WEBHOOKS_HEADERS_H
#define WH_WEBHOOKS_HEADERS_H
#include <jansson.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/json_util.h"

/* Checks v (the body's "headers": an object or null). *out receives a new object of
 * name -> string, or name -> null (keep the stored value; only when keep_allowed), in the
 * body's order; null v gives {}. Names are checked with common/custom_headers.h, at most
 * once each (case-insensitively); reserved names are refused, Authorization too when oauth. */
enum wh_err wh_headers_parse(json_t *v, bool keep_allowed, bool oauth, json_t **out, struct jx_err *err);

/* Replaces each null of given by the value of the same name (case-insensitively) in stored
 * (borrowed, may be NULL). WH_ERR_INVALID naming headers.<name> when there is none. */
enum wh_err wh_headers_fill(json_t *given, const json_t *stored, struct jx_err *err);

/* WH_ERR_INVALID naming headers.<name> when names (an object keyed by header names, e.g.
 * the masked set) holds Authorization, which OAuth sets itself. */
enum wh_err wh_headers_oauth_check(const json_t *names, struct jx_err *err);

/* The answer's form of a full set: each value as "****" followed by its last 4
 * characters, or "****" alone for values under 8 characters. New object. */
json_t *wh_headers_masked(const json_t *full);

#endif
