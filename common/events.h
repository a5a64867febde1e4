/* The event catalog and the visit states: the names the API accepts and the worker matches. */
#ifndef WH_EVENTS_H
#define WH_EVENTS_H
#include <stdbool.h>
#include <stddef.h>

/* The nine domain event types, "webhook.test", then the operational types; NULL-terminated.
 * Operational events concern a webhook and reach the account-wide webhooks that list their
 * type in eventTypes (an empty list, "all types", leaves them out), never the webhook they
 * are about. Their data:
 *   webhook.disabled:  {"webhookId","url","description","reason","disabledAt"}
 *   webhook.recovered: {"webhookId","url","description","failingSince","recoveredAt"}
 * (description may be null; times ISO-8601 UTC with milliseconds). */
extern const char *const event_types[];
#define EVENT_TYPE_COUNT 12

/* True for a known event type (webhook.test included). */
bool event_type_valid(const char *type);

/* True for webhook.disabled and webhook.recovered. */
bool event_type_operational(const char *type);

/* Visit states in life-cycle order; NULL-terminated. */
extern const char *const visit_states[];
#define VISIT_STATE_COUNT 6

/* Canonical state for an input ("SERVING" -> "SERVED"), or NULL when unknown. Borrowed. */
const char *visit_state_canonical(const char *state);

#endif
