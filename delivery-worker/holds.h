/* How many of each webhook's jobs the database thread may hold (hand to the transfer thread
 * and not have back yet), and how many it holds.
 *
 * A webhook starts at one cap's worth (per_endpoint_concurrency: what its slots run at once).
 * Its hold grows by its attempts that ended quickly (in under quick_ms) within the last
 * window: that many more jobs wait in the transfer thread, ready for a slot that frees, about
 * one window's worth of what the endpoint turns over. An endpoint that hangs or fails slowly
 * ends nothing quickly and stays at cap; one that stops turning over falls back to cap
 * within two windows. Never above max. Rate-limited webhooks are not counted here: their
 * turns pace them (pace.h). Not thread-safe: the database thread owns it. */
#ifndef WH_HOLDS_H
#define WH_HOLDS_H
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct holds_opts {
	size_t cap;          /* per_endpoint_concurrency: every webhook may hold this many */
	size_t max;          /* no webhook holds more (at least cap) */
	long long window_ms; /* how far back quick ends count */
	long long quick_ms;  /* an attempt that took less counts as quick */
};

struct holds;

struct holds *holds_new(const struct holds_opts *o);
/* Frees the table. NULL-safe. */
void holds_free(struct holds *h);

/* Adds delta (may be negative) to the jobs held of webhook_id. */
void holds_add(struct holds *h, const char *webhook_id, long delta);
size_t holds_held(const struct holds *h, const char *webhook_id);

/* One of the webhook's attempts ended at now (monotonic ms) after duration_ms. */
void holds_ended(struct holds *h, const char *webhook_id, long long duration_ms, long long now);
/* One of the webhook's jobs came back unsent, having waited too long for a slot: the hold was
 * more than the endpoint turns over; it starts again from cap. */
void holds_waited_out(struct holds *h, const char *webhook_id);

/* How many of webhook_id's jobs may be held at now: cap plus its quick ends of the last
 * window, at most max. Logs a change at debug level. */
size_t holds_limit(struct holds *h, const char *webhook_id, long long now);
/* How many more of webhook_id's jobs may be held at now (0 when full). */
size_t holds_room(struct holds *h, const char *webhook_id, long long now);
/* Appends to out the comma-separated ids of webhooks held at or past their limit (the form
 * FIND_IN_SET reads); returns how many. */
size_t holds_full(struct holds *h, long long now, struct buf *out);

/* Forgets webhooks with nothing held and no quick end for two windows (their hold is cap). */
void holds_sweep(struct holds *h, long long now);

#endif
