/* The transactional outbox: the only writer of events. Call it inside the transaction of
 * the domain write that causes the event, so both commit or neither does. */
#ifndef WH_OUTBOX_H
#define WH_OUTBOX_H
#include <jansson.h>
#include <stdbool.h>

#include "common/config.h"
#include "common/db.h"
#include "common/event_row.h"
#include "common/ids.h"

struct outbox_event {
	const char *account_id;
	const char *location_id; /* NULL for none; for location.* the location's own id */
	const char *type;        /* one of event_types[] */
	const char *visit_state; /* canonical state for visit.* events, else NULL */
	const char *webhook_id;  /* webhook.test only: its one target */
	const json_t *data;      /* the resource exactly as its GET answers; borrowed */
};

/* Builds the envelope {"id","created","accountId","type","data"} and inserts it into the
 * outbox. The envelope bytes stored are the bytes later signed and sent. event_id (may be
 * NULL) receives the new id (ID_LEN + 1 bytes). The config's fault_point "event_insert"
 * makes this fail, for the rollback tests. */
enum wh_err outbox_emit(struct db *db, const struct config *cfg, const struct outbox_event *ev, char *event_id);

/* outbox_emit for n (1..OUTBOX_MAX_BATCH) events of one transaction in one multi-row
 * INSERT, stored in the order given (their seqs ascend in that order), with one created
 * time. event_ids (may be NULL) receives the n new ids. */
#define OUTBOX_MAX_BATCH 2
enum wh_err outbox_emit_many(struct db *db, const struct config *cfg, const struct outbox_event *evs, size_t n,
                             char (*event_ids)[ID_LEN + 1]);

/* The outbox insert of n (1..OUTBOX_MAX_BATCH) events as one statement (stmt), for a
 * caller that sends it in one round trip with the write that causes them (db_exec_many,
 * tx_write_emit): what outbox_emit_many would insert, envelopes built, ids in ids. The
 * statement borrows evs' strings and owns its payloads until outbox_release. The
 * event_insert fault point fails it. */
struct outbox_insert {
	struct db_stmt stmt;
	size_t n;
	char ids[OUTBOX_MAX_BATCH][ID_LEN + 1];
	char *payloads[OUTBOX_MAX_BATCH];
	struct db_param params[OUTBOX_MAX_BATCH * EVENT_ROW_NPARAMS];
};
enum wh_err outbox_prepare(struct outbox_insert *ins, const struct config *cfg, const struct outbox_event *evs,
                           size_t n);
/* Frees the payloads (after a failed outbox_prepare too); NULL-safe fields. */
void outbox_release(struct outbox_insert *ins);

/* Test-only per-request fault point. When the config's fault_point is "from_header", the
 * request header X-Linehook-Fault names the fault for that request alone ("event_insert"
 * makes outbox_emit fail), so end-to-end tests can prove rollbacks against a running
 * stack. main.c sets it from the header before the handler and clears it (NULL) after.
 * Without fault_point = from_header (production) the header is ignored. point is copied. */
void outbox_fault_set(const struct config *cfg, const char *point);
/* True when the fault point is on: the config's fault_point names it, or the request's
 * header does (with fault_point = from_header). */
bool outbox_fault(const struct config *cfg, const char *point);

#endif
