/* The worker's database thread: fan-out, claims, releases, retention and the heartbeat, on
 * its own connection, so no database wait (a slow commit, a reconnect, a server that stops
 * answering) ever pauses the transfers in flight. It hands claimed jobs to the transfer
 * thread and takes finished ones back through a handoff (handoff.h), and passes those to the
 * recording thread (recorder.h), which writes them on a second connection while this one
 * fans out and claims. It counts what it has handed out, per webhook and in all, plus what
 * is not recorded yet, and claims only within max_in_flight and each webhook's hold (holds.h). */
#ifndef WH_DBWORK_H
#define WH_DBWORK_H
#include "common/config.h"
#include "delivery-worker/handoff.h"
#include "delivery-worker/record.h"

struct dbwork_opts {
	const struct config *cfg;        /* borrowed */
	const unsigned char *master_key; /* borrowed, CRYPTO_KEY_LEN bytes */
	const struct record_opts *rec;   /* borrowed */
	long long lease_ms;
	long long record_margin_ms; /* claim_opts.record_margin_ms */
	struct handoff *handoff;    /* borrowed, shared with the transfer thread */
};

struct dbwork;

/* Connects (a database that is down is retried by the thread) and starts the thread. NULL
 * when the thread can't be created. */
struct dbwork *dbwork_start(const struct dbwork_opts *opts);
/* Waits until the thread ends (after handoff_over: everything handed back is recorded or
 * released, or given up when the database stays away), then frees it. NULL-safe. */
void dbwork_join(struct dbwork *d);

#endif
