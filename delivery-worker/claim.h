/* Claims due deliveries under a lease and loads what their attempts need.
 *
 * The claim runs in one short transaction: SELECT ... FOR UPDATE SKIP LOCKED of pending
 * rows whose next_attempt_at has come, then lease_token/lease_expires are set and
 * next_attempt_at moves to the lease's expiry (so a row whose worker dies becomes due
 * again by itself). Due times and leases are read and computed on the database's clock
 * (DB_NOW_MS), never a worker host's, so hosts with skewed clocks agree on when a
 * lease ends. No lock is held after the commit; every later write about a job is fenced
 * by WHERE id = ? AND lease_token = ?. */
#ifndef WH_CLAIM_H
#define WH_CLAIM_H
#include <stdbool.h>
#include <stddef.h>

#include "common/crypto.h"
#include "common/db.h"
#include "delivery-worker/job.h"

struct claim_opts {
	const unsigned char *master_key; /* borrowed, CRYPTO_KEY_LEN bytes */
	long long lease_ms;
	long long record_margin_ms;  /* the end of a lease kept free for recording the attempt */
	long long limit;             /* at most this many jobs */
	const char *exclude;         /* comma-separated webhook ids not to claim (at their cap); "" for none */
	const char *public_base_url; /* config public_base_url: jobs to its inboxes are inbox_target */
};

/* Claims and loads up to opts->limit due deliveries. *out receives a new list of jobs (free
 * each with job_free), signed for this attempt (or marked skip when the webhook or event
 * is gone or not active), each with deadline_mono: the monotonic time its attempt must end
 * by (the lease as seen from this host, minus record_margin_ms). WH_ERR_DB_DOWN when the database is gone; jobs already
 * loaded are still in *out then (their rows are leased) and must be handled. */
enum wh_err claim_due(struct db *db, const struct claim_opts *opts, struct job **out, size_t *njobs);

/* A webhook whose jobs came back while claims were capped, and how many it has room for. */
struct claim_want {
	const char *webhook_id; /* borrowed */
	size_t limit;
};

/* claim_due for the due rows of the wanted webhooks only: up to want[i].limit of each, at
 * most opts->limit in all (opts->exclude is not read: leave excluded webhooks out of want).
 * One indexed range per webhook instead of the due scan, which passes over every due row of
 * the saturated webhooks; a webhook with more than a few hundred pending rows in flight or
 * waiting for a retry ahead of its due ones may yield nothing here (claim_due finds them). */
enum wh_err claim_refill(struct db *db, const struct claim_opts *opts, const struct claim_want *want, size_t nwant,
                         struct job **out, size_t *njobs);

/* Deliveries leased under one token, to load. */
struct claim_leased {
	const char *lease;
	const char *const *ids; /* borrowed */
	const bool *manual;     /* borrowed, per id; NULL: none is */
	size_t n;
	long long deadline_mono; /* the jobs' deadline_mono (see claim_due) */
};

/* Loads the jobs of deliveries leased under l->lease (by claim_due, or by a fan-out that
 * leased what it created), as claim_due does; prepends them to *out, counting in *njobs. */
enum wh_err claim_load(struct db *db, const struct claim_opts *opts, const struct claim_leased *l, struct job **out,
                       size_t *njobs);

/* After a claim or a fan-out failed with the database gone (WH_ERR_DB_DOWN) once it had
 * leased l->ids: a job marked unloaded for each id that no job in *out carries, prepended to
 * *out. The lease's COMMIT may have landed with its answer lost, or the load after it
 * failed; either way the row may be leased with no job to send it, and would wait out the
 * lease. Giving those leases back when the database answers again (claim_release_all,
 * fenced by the lease: a row the lease never reached is left alone) makes the rows due at
 * once, and nothing was sent for them, so nothing is sent twice. */
void claim_unloaded(const struct claim_leased *l, struct job **out);

/* Gives a job back without an attempt: the lease is cleared and the row is due again at
 * once (the database's now). Fenced by the job's lease. */
enum wh_err claim_release(struct db *db, const struct job *job);

/* claim_release for every job of a next-linked list, in one transaction (jobs of the
 * first job's lease that are not manual: multi-row statements). */
enum wh_err claim_release_all(struct db *db, const struct job *jobs);

#endif
