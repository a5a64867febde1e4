/* Webhook request bodies: every field rule of SPEC §5, without the database. */
#include "fcgi-app/resources/webhooks/webhooks_input.h"

#include <string.h>

#include "common/crypto.h"
#include "common/events.h"
#include "common/inbox_url.h"
#include "fcgi-app/core/fields.h"
#include "fcgi-app/resources/webhooks/webhook_url.h"
#include "fcgi-app/resources/webhooks/webhooks_headers.h"
#include "fcgi-app/resources/webhooks/webhooks_oauth.h"

typedef const char *(*canon_fn)(const char *);

static const char *canon_event_type(const char *s)
{
	return event_type_valid(s) ? s : NULL;
}

static const char *canon_id(const char *s)
{
	return id_valid(s) ? s : NULL;
}

struct array_rule {
	const char *key;
	size_t max;
	canon_fn canon;
	const char *what; /* "event type", ... for messages */
};

/* An optional array of strings, each mapped by rule->canon, no repeats after mapping.
 * *out is new (NULL when absent). */
static enum wh_err str_array(json_t *body, const struct array_rule *rule, json_t **out, bool *present,
                             struct jx_err *err)
{
	json_t *v = json_object_get(body, rule->key);
	json_t *item, *arr;
	size_t i;
	*out = NULL;
	*present = v != NULL;
	if(!v)
		return WH_OK;
	if(!json_is_array(v))
		return jx_fail(err, rule->key, "%s: must be an array of strings", rule->key);
	if(json_array_size(v) > rule->max)
		return jx_fail(err, rule->key, "%s: at most %zu items", rule->key, rule->max);
	arr = json_array();
	json_array_foreach(v, i, item)
	{
		char field[64];
		const char *c = json_is_string(item) ? rule->canon(json_string_value(item)) : NULL;
		snprintf(field, sizeof(field), "%s[%zu]", rule->key, i);
		if(!json_is_string(item) || !c) {
			json_decref(arr);
			if(!json_is_string(item))
				return jx_fail(err, field, "%s: must be a string", field);
			return jx_fail(err, field, "%s: unknown %s '%.80s'", field, rule->what,
			               json_string_value(item));
		}
		for(size_t k = 0; k < json_array_size(arr); k++)
			if(!strcmp(json_string_value(json_array_get(arr, k)), c)) {
				json_decref(arr);
				return jx_fail(err, field, "%s: '%.80s' given more than once", field, c);
			}
		json_array_append_new(arr, json_string(c));
	}
	*out = arr;
	return WH_OK;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for(; *s; s++)
		if(((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

enum wh_err wh_secret_check(const char *secret, const char *field, struct jx_err *err)
{
	size_t n = strlen(secret);
	if(n < WH_SECRET_MIN || n > WH_SECRET_MAX)
		return jx_fail(err, field, "%s: must be %d..%d characters", field, WH_SECRET_MIN, WH_SECRET_MAX);
	for(size_t i = 0; i < n; i++)
		if(secret[i] < 0x20 || secret[i] > 0x7e)
			return jx_fail(err, field, "%s: only printable ASCII characters are allowed", field);
	return WH_OK;
}

void wh_secret_generate(char *out)
{
	id_random(out, SECRET_LEN);
}

enum wh_err wh_standard_secret(const char *secret, struct buf *out)
{
	enum wh_err result = buf_adds(out, "whsec_");
	if(!result)
		result = crypto_base64(secret, strlen(secret), out);
	return result;
}

static enum wh_err scalars_parse(json_t *body, const struct wh_rules *rules, struct wh_input *in, struct jx_err *err)
{
	json_t *desc = json_object_get(body, "description");
	enum wh_err result = jx_string(body, "url", rules->create, 1, WH_URL_MAX, &in->url, err);
	if(result)
		return result;
	in->has_url = in->url != NULL;
	if(in->url && !(rules->inbox_base && inbox_url_match(in->url, rules->inbox_base)) &&
	   wh_url_allowed(in->url, rules->allow_http, rules->policy, "url", err))
		return WH_ERR_INVALID;
	result = jx_string(body, "secret", false, 0, 1024, &in->secret, err);
	if(result)
		return result;
	in->has_secret = in->secret != NULL;
	if(in->secret && wh_secret_check(in->secret, "secret", err))
		return WH_ERR_INVALID;
	result = jx_bool(body, "isActive", false, &in->is_active, &in->has_is_active, err);
	if(result)
		return result;
	in->has_description = desc != NULL;
	if(desc && !json_is_null(desc)) {
		if(!json_is_string(desc))
			return jx_fail(err, "description", "description: must be a string or null");
		if(utf8_chars(json_string_value(desc)) > WH_DESCRIPTION_MAX)
			return jx_fail(err, "description", "description: at most %d characters", WH_DESCRIPTION_MAX);
		/* One line of text shown in the settings page: no control character at all. */
		if(!field_text_valid(json_string_value(desc)) || strpbrk(json_string_value(desc), "\t\r\n"))
			return jx_fail(err, "description", "description: must not contain control characters");
		in->description = json_string_value(desc);
	}
	return WH_OK;
}

/* ordering ("none" | "fifo") and rateLimit (1..1000, or null for none). */
static enum wh_err delivery_opts_parse(json_t *body, struct wh_input *in, struct jx_err *err)
{
	json_t *rate = json_object_get(body, "rateLimit");
	const char *ordering = NULL;
	enum wh_err result = jx_string(body, "ordering", false, 0, 16, &ordering, err);
	if(result)
		return result;
	in->has_ordering = ordering != NULL;
	if(ordering && strcmp(ordering, "none") && strcmp(ordering, "fifo"))
		return jx_fail(err, "ordering", "ordering: must be \"none\" or \"fifo\"");
	in->ordering = ordering && !strcmp(ordering, "fifo") ? "fifo" : "none";
	in->has_rate_limit = rate != NULL;
	if(!rate || json_is_null(rate))
		return WH_OK;
	return jx_int(body, "rateLimit", false, WH_RATE_LIMIT_MIN, WH_RATE_LIMIT_MAX, &in->rate_limit, NULL, err);
}

static enum wh_err arrays_parse(json_t *body, struct wh_input *in, struct jx_err *err)
{
	static const struct array_rule types = {"eventTypes", EVENT_TYPE_COUNT, canon_event_type, "event type"};
	static const struct array_rule locs = {"locationIds", WH_LOCATIONS_MAX, canon_id, "location id"};
	static const struct array_rule states = {"visitStates", VISIT_STATE_COUNT + 1, visit_state_canonical,
	                                         "visit state"};
	enum wh_err result = str_array(body, &types, &in->event_types, &in->has_event_types, err);
	if(!result)
		result = str_array(body, &locs, &in->location_ids, &in->has_location_ids, err);
	if(!result)
		result = str_array(body, &states, &in->visit_states, &in->has_visit_states, err);
	return result;
}

static enum wh_err oauth_parse(json_t *body, const struct wh_rules *rules, struct wh_input *in, struct jx_err *err)
{
	json_t *oauth = json_object_get(body, "oAuth");
	if(!oauth)
		return WH_OK;
	in->has_oauth = true;
	if(json_is_null(oauth))
		return WH_OK;
	return wh_oauth_parse(oauth, rules->allow_http, rules->policy, !rules->create && rules->have_oauth_key,
	                      &in->oauth_meta, &in->oauth_key, err);
}

enum wh_err wh_operational_check(const json_t *types, const json_t *location_ids, struct jx_err *err)
{
	if(!json_array_size(location_ids))
		return WH_OK;
	for(size_t i = 0; i < json_array_size(types); i++) {
		const char *t = json_string_value(json_array_get(types, i));
		if(t && event_type_operational(t)) {
			char field[48];
			snprintf(field, sizeof(field), "eventTypes[%zu]", i);
			return jx_fail(err, field, "%s: %s reaches account-wide webhooks only (locationIds empty)",
			               field, t);
		}
	}
	return WH_OK;
}

enum wh_err wh_input_parse(json_t *body, const struct wh_rules *rules, struct wh_input *in, struct jx_err *err)
{
	static const char *const keys[] = {"url",         "secret",      "oAuth",     "eventTypes",
	                                   "locationIds", "visitStates", "isActive",  "description",
	                                   "headers",     "ordering",    "rateLimit", NULL};
	json_t *headers = json_object_get(body, "headers");
	enum wh_err result;
	memset(in, 0, sizeof(*in));
	result = jx_only_keys(body, keys, err);
	if(!result)
		result = scalars_parse(body, rules, in, err);
	if(!result)
		result = arrays_parse(body, in, err);
	if(!result)
		result = delivery_opts_parse(body, in, err);
	if(!result && rules->create)
		result = wh_operational_check(in->event_types, in->location_ids, err);
	if(!result)
		result = oauth_parse(body, rules, in, err);
	in->has_headers = headers != NULL;
	if(!result && headers)
		result = wh_headers_parse(headers, !rules->create, in->oauth_meta != NULL, &in->headers, err);
	return result;
}

void wh_input_release(struct wh_input *in)
{
	json_decref(in->oauth_meta);
	json_decref(in->event_types);
	json_decref(in->location_ids);
	json_decref(in->visit_states);
	json_decref(in->headers);
	memset(in, 0, sizeof(*in));
}

enum wh_err wh_rotate_parse(json_t *body, struct wh_rotate_input *in, struct jx_err *err)
{
	static const char *const keys[] = {"secret", "overlapSeconds", NULL};
	enum wh_err result = jx_only_keys(body, keys, err);
	in->secret = NULL;
	in->overlap_seconds = WH_OVERLAP_DEFAULT;
	if(!result)
		result = jx_string(body, "secret", false, 0, 1024, &in->secret, err);
	if(!result && in->secret)
		result = wh_secret_check(in->secret, "secret", err);
	if(!result)
		result = jx_int(body, "overlapSeconds", false, 0, WH_OVERLAP_MAX, &in->overlap_seconds, NULL, err);
	return result;
}
