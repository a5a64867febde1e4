/* Event envelope construction and the outbox insert. */
#include "fcgi-app/outbox.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/json_util.h"
#include "common/log.h"

/* The current request's fault point (outbox_fault_set); one request at a time per process. */
static char request_fault[32];

void outbox_fault_set(const struct config *cfg, const char *point)
{
	request_fault[0] = '\0';
	if(point && !strcmp(config_str(cfg, CFG_FAULT_POINT), "from_header"))
		snprintf(request_fault, sizeof(request_fault), "%s", point);
}

static bool outbox_fault(const struct config *cfg, const char *point)
{
	return !strcmp(config_str(cfg, CFG_FAULT_POINT), point) || !strcmp(request_fault, point);
}

enum wh_err outbox_emit(struct db *db, const struct config *cfg, const struct outbox_event *ev, char *event_id)
{
	static const char sql[] = "INSERT INTO events (id, account_id, location_id, type, visit_state, webhook_id, "
	                          "payload, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	char id[ID_LEN + 1];
	long long now = time_now_ms();
	json_t *env = json_object();
	char *payload;
	enum wh_err result;

	id_new(id);
	json_object_set_new(env, "id", json_string(id));
	jx_set_time(env, "created", now);
	json_object_set_new(env, "accountId", json_string(ev->account_id));
	json_object_set_new(env, "type", json_string(ev->type));
	json_object_set(env, "data", (json_t *)(uintptr_t)ev->data);
	payload = jx_dumps(env);
	json_decref(env);

	if(outbox_fault(cfg, "event_insert")) {
		log_warn("fault point event_insert: failing the outbox insert of %s", ev->type);
		free(payload);
		return WH_ERR_DB;
	}
	result = db_exec(db, sql,
	                 DBP(db_str(id), db_str(ev->account_id), db_str(ev->location_id), db_str(ev->type),
	                     db_str(ev->visit_state), db_str(ev->webhook_id), db_blob(payload, strlen(payload)),
	                     db_i64(now)),
	                 NULL, NULL);
	free(payload);
	if(!result && event_id)
		memcpy(event_id, id, ID_LEN + 1);
	return result;
}
