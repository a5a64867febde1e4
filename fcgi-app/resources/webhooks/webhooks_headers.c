/* Custom headers of a webhook: the body's field, the kept values, the masked answer. */
#include "fcgi-app/resources/webhooks/webhooks_headers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/custom_headers.h"

#define MASK "****"
#define MASK_SHOWN 4
#define MASK_MIN_LEN 8

/* The value of name in obj, compared case-insensitively; borrowed, NULL when absent. */
static json_t *get_nocase(const json_t *obj, const char *name)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)obj, k, v)
	{
		if(!strcasecmp(k, name))
			return v;
	}
	return NULL;
}

static enum wh_err check_one(const char *name, json_t *value, bool keep_allowed, bool oauth, const json_t *seen,
                             struct jx_err *err)
{
	char field[sizeof(err->field)];
	snprintf(field, sizeof(field), "headers.%.*s", CUSTOM_HEADER_NAME_MAX, name);
	if(!custom_header_name_valid(name))
		return jx_fail(err, "headers",
		               "headers: '%.80s' is not a header name (1..%d of A-Z a-z 0-9 !#$%%&'*+-.^_`|~)", name,
		               CUSTOM_HEADER_NAME_MAX);
	if(get_nocase(seen, name))
		return jx_fail(err, field, "%s: given more than once (names are case-insensitive)", field);
	if(custom_header_reserved(name, oauth))
		return jx_fail(err, field, "%s: a reserved header%s", field,
		               oauth && !strcasecmp(name, "Authorization") ? " while oAuth is set"
		                                                           : " set by the delivery");
	if(json_is_null(value) && keep_allowed)
		return WH_OK;
	if(!json_is_string(value) || !custom_header_value_valid(json_string_value(value)))
		return jx_fail(err, field,
		               "%s: must be a string of 1..%d visible ASCII characters (inner spaces allowed)%s", field,
		               CUSTOM_HEADER_VALUE_MAX, keep_allowed ? ", or null to keep the stored value" : "");
	return WH_OK;
}

enum wh_err wh_headers_parse(json_t *v, bool keep_allowed, bool oauth, json_t **out, struct jx_err *err)
{
	const char *name;
	json_t *value, *set = json_object();
	*out = NULL;
	if(!v || json_is_null(v)) {
		*out = set;
		return WH_OK;
	}
	if(!json_is_object(v)) {
		json_decref(set);
		return jx_fail(err, "headers", "headers: must be an object of header names to values, or null");
	}
	if(json_object_size(v) > CUSTOM_HEADERS_MAX) {
		json_decref(set);
		return jx_fail(err, "headers", "headers: at most %d headers", CUSTOM_HEADERS_MAX);
	}
	json_object_foreach(v, name, value)
	{
		enum wh_err result = check_one(name, value, keep_allowed, oauth, set, err);
		if(result) {
			json_decref(set);
			return result;
		}
		json_object_set(set, name, value);
	}
	*out = set;
	return WH_OK;
}

enum wh_err wh_headers_fill(json_t *given, const json_t *stored, struct jx_err *err)
{
	const char *name;
	json_t *value;
	json_object_foreach(given, name, value)
	{
		json_t *kept = stored ? get_nocase(stored, name) : NULL;
		if(!json_is_null(value))
			continue;
		if(!kept || !json_is_string(kept)) {
			char field[sizeof(err->field)];
			snprintf(field, sizeof(field), "headers.%.*s", CUSTOM_HEADER_NAME_MAX, name);
			return jx_fail(err, field, "%s: null keeps the stored value, and this webhook has none", field);
		}
		json_object_set(given, name, kept);
	}
	return WH_OK;
}

enum wh_err wh_headers_oauth_check(const json_t *names, struct jx_err *err)
{
	const char *name;
	json_t *value;
	json_object_foreach((json_t *)names, name, value)
	{
		if(!strcasecmp(name, "Authorization")) {
			char field[sizeof(err->field)];
			snprintf(field, sizeof(field), "headers.%s", name);
			return jx_fail(err, field, "%s: a reserved header while oAuth is set (remove it or oAuth)",
			               field);
		}
	}
	return WH_OK;
}

json_t *wh_headers_masked(const json_t *full)
{
	const char *name;
	json_t *value, *masked = json_object();
	json_object_foreach((json_t *)full, name, value)
	{
		const char *s = json_string_value(value);
		size_t n = s ? strlen(s) : 0;
		char m[sizeof(MASK) + MASK_SHOWN];
		snprintf(m, sizeof(m), "%s%s", MASK, n >= MASK_MIN_LEN ? s + n - MASK_SHOWN : "");
		json_object_set_new(masked, name, json_string(m));
	}
	return masked;
}
