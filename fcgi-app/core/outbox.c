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

enum wh_err outbox_prepare(struct outbox_insert *ins, const struct config *cfg, const struct outbox_event *evs,
                           size_t n)
{
	static const char *const sqls[OUTBOX_MAX_BATCH] = {EVENT_ROW_INSERT EVENT_ROW_VALUES,
	                                                   EVENT_ROW_INSERT EVENT_ROW_VALUES ", " EVENT_ROW_VALUES};
	long long now = time_now_ms();
	enum wh_err result = WH_OK;

	memset(ins, 0, sizeof(*ins));
	if(n < 1 || n > OUTBOX_MAX_BATCH)
		return WH_ERR_INTERNAL;
	for(size_t i = 0; i < n; i++) {
		const struct outbox_event *ev = &evs[i];
		struct db_param *p = &ins->params[i * EVENT_ROW_NPARAMS];
		id_new(ins->ids[i]);
		ins->payloads[i] = event_envelope(ins->ids[i], now, ev->account_id, ev->type, ev->data);
		p[0] = db_str(ins->ids[i]);
		p[1] = db_str(ev->account_id);
		p[2] = db_str(ev->location_id);
		p[3] = db_str(ev->type);
		p[4] = db_str(ev->visit_state);
		p[5] = db_str(ev->webhook_id);
		p[6] = db_blob(ins->payloads[i], strlen(ins->payloads[i]));
		p[7] = db_i64(now);
		if(outbox_fault(cfg, "event_insert")) {
			log_warn("fault point event_insert: failing the outbox insert of %s", ev->type);
			result = WH_ERR_DB;
		}
	}
	ins->stmt = (struct db_stmt){sqls[n - 1], ins->params, n * EVENT_ROW_NPARAMS, NULL, NULL};
	ins->n = n;
	if(result)
		outbox_release(ins);
	return result;
}

void outbox_release(struct outbox_insert *ins)
{
	for(size_t i = 0; i < OUTBOX_MAX_BATCH; i++) {
		free(ins->payloads[i]);
		ins->payloads[i] = NULL;
	}
	ins->n = 0;
}

enum wh_err outbox_emit_many(struct db *db, const struct config *cfg, const struct outbox_event *evs, size_t n,
                             char (*event_ids)[ID_LEN + 1])
{
	struct outbox_insert ins;
	enum wh_err result = outbox_prepare(&ins, cfg, evs, n);
	if(!result)
		result = db_exec(db, ins.stmt.sql, ins.stmt.params, ins.stmt.nparams, NULL, NULL);
	for(size_t i = 0; i < n && !result && event_ids; i++)
		memcpy(event_ids[i], ins.ids[i], ID_LEN + 1);
	outbox_release(&ins);
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
