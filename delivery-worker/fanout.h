/* Fan-out: turns outbox events (fanned_out = 0) into one pending delivery per matching
 * webhook (SPEC §7 matching), decided once, in the short transaction that marks the
 * events fanned out. Events are claimed with FOR UPDATE SKIP LOCKED, so several workers
 * fan out different events at the same time. */
#ifndef WH_FANOUT_H
#define WH_FANOUT_H
#include "common/db.h"
#include "delivery-worker/claim.h"

/* A fan-out may lease the deliveries it creates, in the same transaction, and hand them
 * over loaded: no claim round between an event and its first attempt. */
struct fanout_lease {
	const struct claim_opts *claim; /* borrowed: master_key, lease_ms, record_margin_ms */
	size_t room;                    /* lease at most this many */
	/* and no more of a webhook's than this (how many more of its jobs may be held now) */
	size_t (*hook_room)(void *ctx, const char *webhook_id);
	void *ctx;
	struct job *jobs; /* out: the leased jobs (new, next-linked), as claim_due makes them */
	size_t njobs;
	size_t ndeliveries; /* out: the deliveries the fan-out created, leased or not */
};

/* Fans out up to batch events in one transaction. *nevents receives how many were
 * handled. With lease (may be NULL), up to lease->room of the new deliveries are created
 * leased (the rest due at once, for the claims) and loaded into lease->jobs, which the
 * caller then owns even on an error. WH_ERR_DB_DOWN when the database is gone (nothing
 * half-done: rolled back). */
enum wh_err fanout_run(struct db *db, long long batch, size_t *nevents, struct fanout_lease *lease);

#endif
