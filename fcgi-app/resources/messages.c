/* /v2/messages: messages to a visit's guest and their delivery state (message.* events). */
#include <string.h>

#include "fcgi-app/core/fields.h"
#include "fcgi-app/core/resource.h"
#include "fcgi-app/core/tx.h"
#include "fcgi-app/resources/messages.h"
#include "fcgi-app/resources/message_rules.h"

#define MESSAGE_COLS "id, visit_id, location_id, channel, content, state, created, updated"

struct message_tx {
	const char *id;       /* update */
	const char *visit_id; /* create */
	const char *channel, *content, *state;
	json_t *answer; /* new: the message after the write */
};

/* The message resource, in the one key order every answer and event uses. */
static json_t *message_object(const char *const text[6], long long created, long long updated)
{
	static const char *const keys[6] = {"id", "visitId", "locationId", "channel", "content", "state"};
	json_t *o = json_object();
	for(size_t i = 0; i < 6; i++)
		json_object_set_new(o, keys[i], json_string(text[i]));
	jx_set_time(o, "created", created);
	jx_set_time(o, "updated", updated);
	return o;
}

static json_t *message_render(const struct db_rows *rows, size_t r)
{
	const char *text[6];
	for(size_t i = 0; i < 6; i++)
		text[i] = db_rows_get(rows, r, i);
	return message_object(text, db_rows_i64(rows, r, 6), db_rows_i64(rows, r, 7));
}

static enum wh_err message_load(struct request *req, const char *id, bool lock, json_t **out)
{
	static const char sql[] = "SELECT " MESSAGE_COLS " FROM messages WHERE id = ? AND account_id = ?";
	static const char sql_lock[] =
	    "SELECT " MESSAGE_COLS " FROM messages WHERE id = ? AND account_id = ? FOR UPDATE";
	return resource_load_one(req, lock ? sql_lock : sql, id, message_render, out);
}

static enum wh_err message_parse_create(struct request *req, json_t *body, struct message_tx *tx)
{
	static const char *const keys[] = {"visitId", "channel", "content", NULL};
	enum wh_err result = jx_only_keys(body, keys, &req->err);
	if(!result)
		result = jx_string(body, "visitId", true, 1, ID_LEN, &tx->visit_id, &req->err);
	if(!result && !id_valid(tx->visit_id))
		result = jx_fail(&req->err, "visitId", "visitId: must be an id (20 characters [A-Za-z0-9])");
	if(!result)
		result = jx_string(body, "channel", true, 1, 8, &tx->channel, &req->err);
	if(!result && !message_channel_valid(tx->channel))
		result = jx_fail(&req->err, "channel", "channel: must be SMS or EMAIL");
	if(!result)
		result = jx_string(body, "content", true, 1, MESSAGE_CONTENT_MAX, &tx->content, &req->err);
	if(!result && !field_text_valid(tx->content))
		result =
		    jx_fail(&req->err, "content", "content: must not contain control characters but tab and newline");
	return result;
}

static enum wh_err message_create_tx(struct request *req, void *ctx)
{
	/* FOR SHARE: the visit can't be deleted (taking its messages) while this one is added */
	static const char visit_sql[] =
	    "SELECT location_id FROM visits WHERE id = ? AND account_id = ? LOCK IN SHARE MODE";
	static const char sql[] =
	    "INSERT INTO messages (id, account_id, visit_id, location_id, channel, content, state, "
	    "created, updated) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', ?, ?)";
	struct message_tx *tx = ctx;
	struct db_rows rows = {0};
	char id[ID_LEN + 1];
	long long now = time_now_ms();
	const char *loc_id;
	struct db_stmt write;
	struct outbox_event ev = {.type = "message.created"};
	enum wh_err result;

	json_decref(tx->answer);
	tx->answer = NULL;
	result = db_exec(req->app->db, visit_sql, DBP(db_str(tx->visit_id), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	loc_id = db_rows_get(&rows, 0, 0);
	if(!loc_id) {
		result = jx_fail(&req->err, "visitId", "visitId: no such visit");
		goto out;
	}
	id_new(id);
	write = (struct db_stmt){sql,
	                         DBP(db_str(id), db_str(req->account_id), db_str(tx->visit_id), db_str(loc_id),
	                             db_str(tx->channel), db_str(tx->content), db_i64(now), db_i64(now)),
	                         NULL, NULL};
	tx->answer = message_object(
	    (const char *const[6]){id, tx->visit_id, loc_id, tx->channel, tx->content, "PENDING"}, now, now);
	ev.location_id = loc_id;
	ev.data = tx->answer;
	result = tx_write_emit(req, &write, 1, &ev, 1);
out:
	db_rows_release(&rows);
	return result;
}

enum wh_err message_create(struct request *req)
{
	struct message_tx tx = {0};
	json_t *body = NULL;
	enum wh_err result = http_read_json(req, false, &body);
	if(!result)
		result = message_parse_create(req, body, &tx);
	if(!result)
		result = tx_create(req, body, message_create_tx, &tx, &tx.answer);
	json_decref(tx.answer);
	json_decref(body);
	return result;
}

enum wh_err message_get(struct request *req)
{
	json_t *m = NULL;
	enum wh_err result = message_load(req, req->params[0], false, &m);
	if(result)
		return result;
	http_send_json(req, 200, m);
	json_decref(m);
	return WH_OK;
}

enum wh_err message_list(struct request *req)
{
	static const char *const allowed[] = {"limit", "startAfter", "visitId", NULL};
	static const char seq_sql[] = "SELECT seq FROM messages WHERE id = ? AND account_id = ?";
	static const char sql[] = "SELECT " MESSAGE_COLS " FROM messages WHERE account_id = ? AND (? IS NULL OR "
	                          "visit_id = ?) AND seq > ? ORDER BY seq LIMIT ?";
	struct page page;
	struct db_rows rows;
	const char *visit = NULL;
	long long after = 0;
	enum wh_err result = http_query_only(req, allowed);
	if(!result)
		result = http_page(req, &page);
	if(!result)
		result = field_query_id(req, "visitId", &visit);
	if(!result)
		result = resource_page_seq(req, &page, seq_sql, &after);
	if(!result)
		result = db_exec(
		    req->app->db, sql,
		    DBP(db_str(req->account_id), db_str(visit), db_str(visit), db_i64(after), db_i64(page.limit)),
		    &rows, NULL);
	if(result)
		return result;
	resource_send_page(req, &page, &rows, message_render);
	return WH_OK;
}

/* Only the delivery state changes after creation; the same state again changes nothing. */
static enum wh_err message_update_tx(struct request *req, void *ctx)
{
	static const char sql[] = "UPDATE messages SET state = ?, updated = ? WHERE id = ? AND account_id = ?";
	struct message_tx *tx = ctx;
	long long now = time_now_ms();
	const char *from;
	struct db_stmt write;
	struct outbox_event ev = {.type = "message.updated"};
	enum wh_err result;

	json_decref(tx->answer);
	tx->answer = NULL;
	result = message_load(req, tx->id, true, &tx->answer);
	if(result || !tx->state)
		return result;
	from = json_string_value(json_object_get(tx->answer, "state"));
	if(!strcmp(from, tx->state))
		return WH_OK;
	if(!message_transition_allowed(from, tx->state))
		return field_conflict(req, "state: a message can't move from %s to %s", from, tx->state);
	write = (struct db_stmt){sql, DBP(db_str(tx->state), db_i64(now), db_str(tx->id), db_str(req->account_id)),
	                         NULL, NULL};
	json_object_set_new(tx->answer, "state", json_string(tx->state)); /* keys keep their places */
	jx_set_time(tx->answer, "updated", now);
	ev.location_id = json_string_value(json_object_get(tx->answer, "locationId"));
	ev.data = tx->answer;
	return tx_write_emit(req, &write, 1, &ev, 1);
}

enum wh_err message_update(struct request *req)
{
	static const char *const keys[] = {"state", NULL};
	struct message_tx tx = {.id = req->params[0]};
	json_t *body = NULL;
	enum wh_err result = field_read_update(req, keys, &body);
	if(!result)
		result = jx_string(body, "state", false, 1, 16, &tx.state, &req->err);
	if(!result && tx.state && !message_state_valid(tx.state))
		result = jx_fail(&req->err, "state", "state: must be PENDING, SENT, DELIVERED or FAILED");
	if(!result)
		result = tx_run(req, message_update_tx, &tx);
	if(!result)
		http_send_json(req, 200, tx.answer);
	json_decref(tx.answer);
	json_decref(body);
	return result;
}
