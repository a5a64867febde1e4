/* The event envelope (SPEC §6): the exact bytes stored in the outbox, signed and sent. Both
 * the API's outbox and the worker's operational events build it here. */
#ifndef WH_ENVELOPE_H
#define WH_ENVELOPE_H
#include <jansson.h>

/* {"id","created","accountId","type","data"} in that order, compact; data is borrowed.
 * New string, free() it. */
char *event_envelope(const char *id, long long created_ms, const char *account_id, const char *type,
                     const json_t *data);

#endif
