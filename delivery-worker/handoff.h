/* The hand-off between the worker's two threads: the database thread (claims, fan-out,
 * recording, heartbeat) passes claimed jobs to the transfer thread (curl multi), which
 * passes finished ones back. A mutex guards two lists; neither side ever waits on the
 * other while holding it, and the transfer thread never waits on it for long (no database
 * call happens under the lock).
 *
 * Bounded: the database thread counts the jobs it has handed out and not got back, and
 * never claims past max_in_flight of them, so neither list holds more than max_in_flight
 * jobs however long the database or the endpoints stall. */
#ifndef WH_HANDOFF_H
#define WH_HANDOFF_H
#include <pthread.h>
#include <stdbool.h>

#include "delivery-worker/job.h"

struct handoff {
	pthread_mutex_t mu;
	pthread_cond_t db_wake;            /* the database thread waits here */
	struct job *to_send;               /* claimed, for the transfer thread (next-linked) */
	struct job *finished;              /* back from the transfer thread (next-linked) */
	bool db_kicked;                    /* wake the database thread even without finished jobs */
	bool stopping;                     /* SIGTERM: no new claims */
	bool transfers_over;               /* the transfer thread has handed everything back */
	void (*wake_transfers)(void *ctx); /* interrupts the transfer thread's wait */
	void *wake_ctx;
};

/* wake_transfers(ctx) must be safe to call from another thread (curl_multi_wakeup is). */
void handoff_init(struct handoff *h, void (*wake_transfers)(void *ctx), void *ctx);
void handoff_release(struct handoff *h);

/* Database thread: hands claimed jobs (a next-linked list, taken over) to the transfer thread. */
void handoff_send(struct handoff *h, struct job *jobs);
/* Transfer thread: the jobs handed over since the last call (a new list, maybe NULL). */
struct job *handoff_take_to_send(struct handoff *h);

/* Transfer thread: hands finished jobs (a next-linked list, taken over) back. */
void handoff_finish(struct handoff *h, struct job *done);
/* Database thread: waits up to timeout_ms (0: not at all) for finished jobs or a kick and
 * takes the finished ones (a new list, maybe NULL). */
struct job *handoff_wait_finished(struct handoff *h, long long timeout_ms);
/* Wakes the database thread's wait. */
void handoff_kick(struct handoff *h);

/* Stop in two steps: stop() (no new claims), then over() once the transfer thread has
 * handed back every job it held. */
void handoff_stop(struct handoff *h);
void handoff_over(struct handoff *h);
bool handoff_stopping(struct handoff *h);
bool handoff_is_over(struct handoff *h);

#endif
