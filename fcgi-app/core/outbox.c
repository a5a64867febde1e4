/* The outbox insert (the envelope is built by common/event_row.c). */
#include "fcgi-app/core/outbox.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/event_row.h"
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

bool outbox_fault(const struct config *cfg, const char *point)
{
	return !strcmp(config_str(cfg, CFG_FAULT_POINT), point) || !strcmp(request_fault, point);
}

enum wh_err outbox_emit_many(struct db *db, const struct config *cfg, const struct outbox_event *evs, size_t n,
                             char (*event_ids)[ID_LEN + 1])
{
	static const char *const sqls[OUTBOX_MAX_BATCH] = {EVENT_ROW_INSERT EVENT_ROW_VALUES,
	                                                   EVENT_ROW_INSERT EVENT_ROW_VALUES ", " EVENT_ROW_VALUES};
	char ids[OUTBOX_MAX_BATCH][ID_LEN + 1];
	char *payloads[OUTBOX_MAX_BATCH] = {NULL};
	struct db_param params[OUTBOX_MAX_BATCH * EVENT_ROW_NPARAMS];
	long long now = time_now_ms();
	enum wh_err result = WH_OK;

	if(n < 1 || n > OUTBOX_MAX_BATCH)
		return WH_ERR_INTERNAL;
	for(size_t i = 0; i < n; i++) {
		const struct outbox_event *ev = &evs[i];
		struct db_param *p = &params[i * EVENT_ROW_NPARAMS];
		id_new(ids[i]);
		payloads[i] = event_envelope(ids[i], now, ev->account_id, ev->type, ev->data);
		p[0] = db_str(ids[i]);
		p[1] = db_str(ev->account_id);
		p[2] = db_str(ev->location_id);
		p[3] = db_str(ev->type);
		p[4] = db_str(ev->visit_state);
		p[5] = db_str(ev->webhook_id);
		p[6] = db_blob(payloads[i], strlen(payloads[i]));
		p[7] = db_i64(now);
		if(outbox_fault(cfg, "event_insert")) {
			log_warn("fault point event_insert: failing the outbox insert of %s", ev->type);
			result = WH_ERR_DB;
		}
	}
	if(!result)
		result = db_exec(db, sqls[n - 1], params, n * EVENT_ROW_NPARAMS, NULL, NULL);
	for(size_t i = 0; i < n; i++) {
		if(!result && event_ids)
			memcpy(event_ids[i], ids[i], ID_LEN + 1);
		free(payloads[i]);
	}
	return result;
}

enum wh_err outbox_emit(struct db *db, const struct config *cfg, const struct outbox_event *ev, char *event_id)
{
	char ids[1][ID_LEN + 1];
	enum wh_err result = outbox_emit_many(db, cfg, ev, 1, ids);
	if(!result && event_id)
		memcpy(event_id, ids[0], ID_LEN + 1);
	return result;
}
