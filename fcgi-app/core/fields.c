/* Shared request input checks of the resources. */
#include "fcgi-app/core/fields.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool field_text_valid(const char *s)
{
	for(const unsigned char *p = (const unsigned char *)s; *p; p++)
		if((*p < ' ' && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
			return false;
	return true;
}

enum wh_err field_nullable_string(json_t *obj, const char *key, size_t minlen, size_t maxlen, bool multiline,
                                  const char **out, bool *present, struct jx_err *err)
{
	json_t *v = json_object_get(obj, key);
	size_t len;
	*out = NULL;
	*present = v != NULL;
	if(!v || json_is_null(v))
		return WH_OK;
	if(!json_is_string(v))
		return jx_fail(err, key, "%s: must be a string or null", key);
	len = json_string_length(v);
	if(len < minlen || len > maxlen)
		return jx_fail(err, key, "%s: length must be %zu..%zu bytes", key, minlen, maxlen);
	if(!field_text_valid(json_string_value(v)) || (!multiline && strpbrk(json_string_value(v), "\t\r\n")))
		return jx_fail(err, key, "%s: must not contain control characters", key);
	*out = json_string_value(v);
	return WH_OK;
}

enum wh_err field_read_update(struct request *req, const char *const *keys, json_t **body)
{
	enum wh_err result = id_valid(req->params[0]) ? WH_OK : WH_ERR_NOT_FOUND;
	*body = NULL;
	if(!result)
		result = http_read_json(req, true, body);
	if(!result && keys)
		result = jx_only_keys(*body, keys, &req->err);
	return result;
}

enum wh_err field_query_id(struct request *req, const char *name, const char **out)
{
	*out = http_query(req, name);
	if(*out && !id_valid(*out))
		return jx_fail(&req->err, name, "%s: must be an id (20 characters [A-Za-z0-9])", name);
	return WH_OK;
}

enum wh_err field_conflict(struct request *req, const char *fmt, ...)
{
	va_list ap;
	req->err.field[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(req->err.message, sizeof(req->err.message), fmt, ap);
	va_end(ap);
	return WH_ERR_CONFLICT;
}

bool field_str_eq(const char *a, const char *b)
{
	if(!a || !b)
		return a == b;
	return !strcmp(a, b);
}
