/* The transfer thread's per-endpoint slots: at most `cap` (per_endpoint_concurrency) of a
 * webhook's attempts in flight; the database thread hands over more of a webhook's jobs when
 * its attempts end quickly (holds.h), and the ones over the cap wait here, in order, until one
 * of the webhook's attempts ends. So a slot that frees is filled at once, without waiting for
 * a claim round trip. Not thread-safe: the transfer thread owns it. */
#ifndef WH_SLOTS_H
#define WH_SLOTS_H
#include <stdbool.h>
#include <stddef.h>

#include "delivery-worker/job.h"

struct slots;

struct slots *slots_new(size_t cap);
/* Frees the table and every job still waiting. NULL-safe. */
void slots_free(struct slots *s);

/* A job to start: true when its webhook has a free slot (now counted in flight), else false
 * and the job waits (taken over). */
bool slots_admit(struct slots *s, struct job *job);

/* An attempt of webhook_id ended: its slot is free. Returns that webhook's next waiting job,
 * counted in flight in the freed slot, or NULL when none waits. */
struct job *slots_end(struct slots *s, const char *webhook_id);

/* Removes and returns, next-linked, the waiting jobs of every webhook none of whose attempts
 * ended for idle_ms (counted from when its first job began to wait, if later) at now: the
 * endpoint stopped turning over (it hangs), so its waiting jobs go back unsent rather than
 * keep their room until their leases run short. */
struct job *slots_shed(struct slots *s, long long now, long long idle_ms);

/* Removes and returns every waiting job, next-linked (stop). */
struct job *slots_take_all(struct slots *s);

#endif
