/* Signature check and masking of an inbox request. */
#include "fcgi-app/resources/inbox_check.h"

#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/ids.h"
#include "common/sign.h"
#include "common/webhook_row.h"
#include "fcgi-app/resources/webhooks/webhooks_headers.h"
#include "fcgi-app/resources/webhooks/webhooks_store.h"

/* The previous secret's end is on the database's clock (wh_rotate): compared with it. */
static const char sql_targets[] = "SELECT id, secret_enc, prev_secret_enc, prev_secret_expires, headers_masked, "
                                  "prev_secret_expires > " DB_NOW_MS " FROM webhooks WHERE account_id = ? AND url = ? "
                                  "ORDER BY seq";

/* The secrets in force of target row r, opened into keys[0..*n) (bufs wiped by the caller). */
static void open_keys(const struct app *app, const struct db_rows *rows, size_t r, struct buf bufs[2],
                      struct sign_key keys[2], size_t *n)
{
	static const char *const what[2] = {WHROW_SECRET, WHROW_PREV_SECRET};
	*n = 0;
	for(size_t k = 0; k < 2; k++) {
		if(!db_rows_get(rows, r, 1 + k) || (k == 1 && db_rows_i64(rows, r, 5) != 1))
			continue;
		crypto_buf_wipe(&bufs[k]);
		if(whrow_open(app->master_key, db_rows_get(rows, r, 0), what[k], db_rows_get(rows, r, 1 + k),
		              db_rows_len(rows, r, 1 + k), &bufs[k]))
			continue;
		keys[(*n)++] = (struct sign_key){bufs[k].ptr, bufs[k].len};
	}
}

/* Does any space-separated entry of got equal one computed entry of want? */
static bool any_entry(const char *got, const char *want)
{
	for(const char *g = got; *g;) {
		size_t gl = strcspn(g, " ");
		for(const char *w = want; *w;) {
			size_t l = strcspn(w, " ");
			if(l == gl && crypto_equal(g, w, l))
				return true;
			w += l + (w[l] == ' ');
		}
		g += gl + (g[gl] == ' ');
	}
	return false;
}

static const char *header(const json_t *headers, const char *name)
{
	return json_string_value(json_object_get(headers, name));
}

/* "valid", "invalid" or "missing" for each signature of the request under keys. */
static void verify(const struct sign_key *keys, size_t n, const char *url, const json_t *headers, const void *body,
                   size_t len, const char **standard, const char **waitwhile)
{
	const char *id = header(headers, "webhook-id"), *ts = header(headers, "webhook-timestamp");
	const char *sig = header(headers, "webhook-signature"), *ww = header(headers, "x-waitwhile-signature");
	struct buf want;
	buf_init(&want, 0);
	*standard = sig ? "invalid" : "missing";
	*waitwhile = ww ? "invalid" : "missing";
	if(sig && id && ts && n) {
		char *end;
		long long t = strtoll(ts, &end, 10);
		if(!*end && end != ts && !sign_standard(keys, n, id, t, body, len, &want) &&
		   any_entry(sig, buf_str(&want)))
			*standard = "valid";
	}
	for(size_t k = 0; ww && k < n; k++) {
		buf_reset(&want);
		if(!sign_waitwhile(&keys[k], url, body, len, &want) && strlen(ww) == want.len &&
		   crypto_equal(ww, buf_str(&want), want.len))
			*waitwhile = "valid";
	}
	buf_release(&want);
}

/* Replaces the value of Authorization by its masked form (the one webhook answers show). */
static void mask_authorization(json_t *headers)
{
	json_t *auth = json_object_get(headers, "authorization"), *one, *shown;
	if(!auth || !json_is_string(auth))
		return;
	one = json_pack("{s:O}", "authorization", auth);
	shown = wh_headers_masked(one);
	json_object_update(headers, shown);
	json_decref(shown);
	json_decref(one);
}

/* Replaces the values of the target's custom headers by their masked form. */
static void mask(json_t *headers, const char *masked_json)
{
	json_t *names = masked_json ? json_loads(masked_json, 0, NULL) : NULL;
	const char *name;
	json_t *v;
	json_object_foreach(names, name, v)
	{
		char lower[80];
		size_t i = 0;
		for(; name[i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
		lower[i] = '\0';
		if(json_object_get(headers, lower))
			json_object_set(headers, lower, v);
	}
	json_decref(names);
}

static json_t *result_json(const char *result, const char *webhook_id, const char *standard, const char *waitwhile)
{
	json_t *c = json_object();
	json_object_set_new(c, "result", json_string(result));
	jx_set_str(c, "webhookId", webhook_id);
	json_object_set_new(c, "standardWebhooks", json_string(standard));
	json_object_set_new(c, "waitwhile", json_string(waitwhile));
	return c;
}

enum wh_err inbox_check(const struct app *app, const char *account_id, const char *url, json_t *headers,
                        const void *body, size_t len, json_t **check)
{
	struct db_rows rows;
	bool signed_request = header(headers, "webhook-signature") || header(headers, "x-waitwhile-signature");
	const char *standard = "missing", *waitwhile = "missing", *hook = NULL;
	enum wh_err result = db_exec(app->db, sql_targets, DBP(db_str(account_id), db_str(url)), &rows, NULL);
	*check = NULL;
	mask_authorization(headers);
	if(result)
		return result;
	for(size_t r = 0; r < rows.nrows; r++) {
		struct buf bufs[2];
		struct sign_key keys[2];
		size_t n;
		const char *s, *w;
		buf_init(&bufs[0], 0);
		buf_init(&bufs[1], 0);
		mask(headers, db_rows_get(&rows, r, 4));
		open_keys(app, &rows, r, bufs, keys, &n);
		verify(keys, n, url, headers, body, len, &s, &w);
		crypto_buf_wipe(&bufs[0]);
		crypto_buf_wipe(&bufs[1]);
		if(!hook || (!strcmp(s, "valid") && !strcmp(w, "valid"))) {
			hook = db_rows_get(&rows, r, 0);
			standard = s;
			waitwhile = w;
		}
	}
	if(!signed_request || !hook)
		*check = result_json("not ours", NULL, standard, waitwhile);
	else
		*check = result_json(!strcmp(standard, "valid") && !strcmp(waitwhile, "valid") ? "valid" : "invalid",
		                     hook, standard, waitwhile);
	db_rows_release(&rows);
	return WH_OK;
}
