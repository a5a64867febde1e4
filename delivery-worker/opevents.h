/* Operational events (SPEC §14): webhook.disabled and webhook.recovered, written into the
 * outbox by the worker in the transaction that records the change, and fanned out like any
 * other event to the account-wide webhooks subscribed to them, never to the webhook they
 * are about (events.subject_webhook_id). Their data is described in common/events.h. */
#ifndef WH_OPEVENTS_H
#define WH_OPEVENTS_H
#include <stddef.h>

#include "common/db.h"

/* A webhook failing for longer than this before a success is "recovered". */
#define OPEVENTS_RECOVERED_AFTER_MS (60LL * 60 * 1000)

/* Emits webhook.disabled for webhook_id (just disabled, with reason). */
enum wh_err opevents_disabled(struct db *db, const char *webhook_id, const char *reason, long long now);

/* Of the n webhooks whose latest attempt in a batch succeeded, emits webhook.recovered for
 * each that had been failing for longer than OPEVENTS_RECOVERED_AFTER_MS. Call before their
 * failing_since is cleared; locks their rows (FOR UPDATE, in the order given: pass them
 * sorted by id) so two workers can't both report one recovery. One statement. */
enum wh_err opevents_recovered(struct db *db, const char *const *webhook_ids, size_t n, long long now);

#endif
