/* The outbox's events table as both binaries see it: the envelope that is stored as an
 * event's payload (the exact bytes signed and sent, SPEC §6) and the columns an event row
 * is written with. The API writes rows (fcgi-app/core/outbox.c); the worker fans them out. */
#ifndef WH_EVENT_ROW_H
#define WH_EVENT_ROW_H
#include <jansson.h>

/* The columns of an event row as written, in the order of their parameters. */
#define EVENT_ROW_INSERT                                                                                               \
	"INSERT INTO events (id, account_id, location_id, type, visit_state, webhook_id, payload, created) VALUES "
#define EVENT_ROW_VALUES "(?, ?, ?, ?, ?, ?, ?, ?)"
#define EVENT_ROW_NPARAMS 8

/* The envelope {"id","created","accountId","type","data"} in that key order, compact
 * (new string, free() it). created is milliseconds since the epoch, written as ISO-8601
 * UTC; data (borrowed) is the resource exactly as its GET answers. */
char *event_envelope(const char *id, long long created_ms, const char *account_id, const char *type,
                     const json_t *data);

#endif
