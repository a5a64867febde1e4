/* Strict JSON parsing and validation helpers on top of Jansson. */
#include "common/json_util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/ids.h"

enum wh_err jx_fail(struct jx_err *err, const char *field, const char *fmt, ...)
{
	va_list ap;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return WH_ERR_INVALID;
}

enum wh_err jx_parse_object(const char *data, size_t len, json_t **out, struct jx_err *err)
{
	json_error_t je;
	json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	*out = NULL;
	if(!v) {
		jx_fail(err, NULL, "malformed JSON at line %d column %d: %s", je.line, je.column, je.text);
		return WH_ERR_BAD_JSON;
	}
	if(!json_is_object(v)) {
		json_decref(v);
		jx_fail(err, NULL, "the body must be a JSON object");
		return WH_ERR_BAD_JSON;
	}
	*out = v;
	return WH_OK;
}

enum wh_err jx_only_keys(json_t *obj, const char *const *allowed, struct jx_err *err)
{
	const char *key;
	json_t *val;
	json_object_foreach(obj, key, val)
	{
		bool ok = false;
		(void)val;
		for(size_t i = 0; allowed[i]; i++)
			if(!strcmp(allowed[i], key))
				ok = true;
		if(!ok)
			return jx_fail(err, key, "%s: unknown field", key);
	}
	return WH_OK;
}

enum wh_err jx_string(json_t *obj, const char *key, bool required, size_t minlen, size_t maxlen, const char **out,
                      struct jx_err *err)
{
	json_t *v = json_object_get(obj, key);
	size_t len;
	*out = NULL;
	if(!v) {
		if(required)
			return jx_fail(err, key, "%s: required", key);
		return WH_OK;
	}
	if(!json_is_string(v))
		return jx_fail(err, key, "%s: must be a string", key);
	len = json_string_length(v);
	if(len < minlen || len > maxlen)
		return jx_fail(err, key, "%s: length must be %zu..%zu", key, minlen, maxlen);
	*out = json_string_value(v);
	return WH_OK;
}

enum wh_err jx_bool(json_t *obj, const char *key, bool required, bool *out, bool *present, struct jx_err *err)
{
	json_t *v = json_object_get(obj, key);
	if(present)
		*present = v != NULL;
	if(!v)
		return required ? jx_fail(err, key, "%s: required", key) : WH_OK;
	if(!json_is_boolean(v))
		return jx_fail(err, key, "%s: must be true or false", key);
	*out = json_is_true(v);
	return WH_OK;
}

enum wh_err jx_int(json_t *obj, const char *key, bool required, long long min, long long max, long long *out,
                   bool *present, struct jx_err *err)
{
	json_t *v = json_object_get(obj, key);
	if(present)
		*present = v != NULL;
	if(!v)
		return required ? jx_fail(err, key, "%s: required", key) : WH_OK;
	if(!json_is_integer(v))
		return jx_fail(err, key, "%s: must be an integer", key);
	if(json_integer_value(v) < min || json_integer_value(v) > max)
		return jx_fail(err, key, "%s: must be %lld..%lld", key, min, max);
	*out = json_integer_value(v);
	return WH_OK;
}

char *jx_dumps(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

void jx_set_time(json_t *obj, const char *key, long long ms)
{
	char iso[TIME_ISO_LEN + 1];
	if(ms < 0) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	time_format_iso(ms, iso);
	json_object_set_new(obj, key, json_string(iso));
}

void jx_set_str(json_t *obj, const char *key, const char *s)
{
	json_object_set_new(obj, key, s ? json_string(s) : json_null());
}

/* Wipes the strings of v that go when v goes (see jx_decref_wiped). */
static void wipe_owned(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;
	if(v->refcount != 1)
		return;
	if(json_is_string(v)) {
		/* The bytes are Jansson's own allocation, about to be freed with v. */
		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(v), json_string_length(v));
	} else if(json_is_object(v)) {
		json_object_foreach(v, key, item) wipe_owned(item);
	} else if(json_is_array(v)) {
		json_array_foreach(v, i, item) wipe_owned(item);
	}
}

void jx_decref_wiped(json_t *v)
{
	if(!v)
		return;
	wipe_owned(v);
	json_decref(v);
}
