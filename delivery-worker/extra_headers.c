/* Custom headers on deliveries. */
#include "delivery-worker/extra_headers.h"

#include <jansson.h>

#include "common/custom_headers.h"
#include "common/log.h"
#include "common/webhook_row.h"

enum wh_err extra_headers_open(struct job *job, const unsigned char key[CRYPTO_KEY_LEN], const char *sealed, size_t len)
{
	json_t *set;
	if(!sealed)
		return WH_OK;
	crypto_buf_wipe(&job->extra_headers);
	if(whrow_open(key, job->webhook_id, WHROW_HEADERS, sealed, len, &job->extra_headers)) {
		log_err("webhook %s: the custom headers do not open under the master key", job->webhook_id);
		return WH_ERR_CRYPTO;
	}
	set = json_loads(buf_str(&job->extra_headers), 0, NULL);
	if(!json_is_object(set)) {
		json_decref(set);
		log_err("webhook %s: the custom headers are not a JSON object", job->webhook_id);
		return WH_ERR_CRYPTO;
	}
	json_decref(set);
	return WH_OK;
}

enum wh_err extra_headers_lines(const struct job *job, struct buf *text, size_t *n)
{
	json_t *set;
	const char *name;
	json_t *value;
	enum wh_err result = WH_OK;
	if(!job->extra_headers.len)
		return WH_OK;
	set = json_loads(buf_str(&job->extra_headers), 0, NULL);
	json_object_foreach(set, name, value)
	{
		const char *v = json_string_value(value);
		if(custom_header_reserved(name, job->oauth_json != NULL) || !custom_header_name_valid(name) || !v ||
		   !custom_header_value_valid(v)) {
			log_warn("webhook %s: custom header '%.64s' skipped (reserved or malformed)", job->webhook_id,
			         name);
			continue;
		}
		result = buf_addf(text, "%s: %s", name, v);
		if(!result)
			result = buf_add(text, "", 1);
		if(result)
			break;
		(*n)++;
	}
	json_decref(set);
	return result;
}
