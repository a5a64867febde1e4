/* Per-webhook rate limits (rateLimit, SPEC §5): the jobs of a rate-limited webhook wait
 * here, in the database thread, until their turn. The limit holds across all workers: each
 * worker sends its share, rate / the number of live workers (heartbeat.h). A turn comes
 * every 1000 × workers / rate ms; a worker that looked late may catch up at most
 * PACE_CATCH_UP_MS of turns, so bursts stay small. A worker that joins others holds its turns
 * until they all count it (pace_hold), or the rate would be exceeded meanwhile. Not
 * thread-safe: one owner. */
#ifndef WH_PACE_H
#define WH_PACE_H
#include <stddef.h>

#include "common/buf.h"
#include "delivery-worker/job.h"

#define PACE_CATCH_UP_MS 100

struct pace;

struct pace *pace_new(void);
/* Frees the table and every job still waiting. NULL-safe. */
void pace_free(struct pace *p);

/* Queues a job of a rate-limited webhook (job->rate_limit > 0), taken over. */
void pace_add(struct pace *p, struct job *job);

/* No turn comes before until_mono (late jobs still go to pace_take's *late). */
void pace_hold(struct pace *p, long long until_mono);

/* Removes and returns (next-linked, in queue order) the jobs whose turn has come at now_mono
 * with `workers` sharing each limit. Jobs that would start with less than min_left_ms before
 * their deadline go to *late instead (prepended), without using a turn. */
struct job *pace_take(struct pace *p, long long now_mono, size_t workers, long long min_left_ms, struct job **late);

/* Milliseconds until the next waiting job's turn (0: now), -1 when nothing waits. */
long long pace_next_ms(const struct pace *p, long long now_mono, size_t workers);

/* Removes and returns every waiting job (stop). */
struct job *pace_take_all(struct pace *p);

/* Appends to out (comma-separated, like epcount_at_least) the rate-limited webhooks of which
 * this worker holds as many jobs as it should: its share of the rate over window_ms, at
 * least 1 and at most cap. held(ctx, id) counts the jobs held (waiting ones included). */
void pace_full(const struct pace *p, size_t workers, long long window_ms, size_t cap,
               size_t (*held)(void *ctx, const char *webhook_id), void *ctx, struct buf *out);

#endif
