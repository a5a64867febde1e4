/* The database thread: fan-out, claims, recording, heartbeat. */
#include "delivery-worker/dbwork.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "delivery-worker/claim.h"
#include "delivery-worker/fanout.h"
#include "delivery-worker/heartbeat.h"
#include "delivery-worker/holds.h"
#include "delivery-worker/pace.h"
#include "delivery-worker/recorder.h"
#include "delivery-worker/retention.h"

#define BACKOFF_MAX_MS 2000
#define RETENTION_EVERY_MS 5000
/* Between full rounds (worker_poll_ms) an idle worker looks this often for new events. */
#define WAKE_CHECK_MS 5
/* After the stop, how long the thread keeps trying to record and release when the
 * database is away (the leases expire by themselves then). */
#define STOP_DB_MAX_MS 5000
/* A rate-limited job is handed over only with this much more than a whole request timeout
 * left of its lease (the transfer thread starts it with at least START_MIN_MS). */
#define PACE_START_MS 100
/* While only saturated endpoints cap the claims, the webhooks in flight are refilled as their
 * jobs come back (claim_refill), and the due scan, which passes over every due row of the
 * saturated ones, runs this often, or when a retry this worker scheduled comes due, or a
 * rate-limited webhook's job comes back: it finds the rest (webhooks with nothing in
 * flight, manual resends). */
#define SCAN_CAPPED_MS 500
/* A webhook's hold (holds.h) grows by its attempts that ended in under HOLD_QUICK_MS (or half
 * the request timeout, if less) within the last HOLD_WINDOW_MS, up to HOLD_MAX_FACTOR times
 * per_endpoint_concurrency and never past a quarter of max_in_flight. */
#define HOLD_WINDOW_MS 250
#define HOLD_QUICK_MS 1000
#define HOLD_MAX_FACTOR 4
#define HOLD_SWEEP_MS 1000

/* Is anything waiting to be fanned out? One indexed read (events_pending). */
static const char sql_unfanned[] = "SELECT 1 FROM events WHERE fanned_out = 0 LIMIT 1";

struct dbwork {
	struct dbwork_opts o;
	pthread_t thread;
	struct db *db;
	struct heartbeat hb;
	struct holds *holds;        /* per webhook: jobs handed to the transfer thread (or waiting for their
	                               turn in pace), not back yet, and how many it may hold */
	struct pace *pace;          /* jobs of rate-limited webhooks waiting for their turn */
	size_t nheld;               /* the same, in all */
	struct recorder *rec;       /* finished attempts (and skipped jobs) are recorded there */
	size_t backlog_seen;        /* recorder_backlog at the last look */
	struct job *unreleased;     /* handed back unsent: their leases to give back */
	char (*refill)[ID_LEN + 1]; /* webhooks whose jobs came back while claims were capped */
	size_t nrefill, refill_max;
	size_t fan_events, fan_deliveries; /* the last fan-out that made deliveries: its events, its deliveries */
	long long db_retry_at, backoff_ms, next_retention, next_round, next_beat, stop_deadline, next_sweep;
	long long next_scan; /* the due scan's next turn while only endpoints cap the claims */
	long long retry_due; /* monotonic ms the earliest retry recorded comes due, 0: none */
	bool round_due;      /* the last round was full, or jobs came back while claims were capped */
	bool claims_capped;  /* the last claim was limited by max_in_flight or an endpoint's cap */
	bool room_capped;    /* ... by max_in_flight (jobs held plus those not recorded yet) */
	bool refill_due;     /* jobs came back while claims were capped: claim_refill their webhooks */
	bool round_due_scan; /* the next round scans whatever caps the claims */
	bool db_down;        /* writes wait until db_retry_at */
	bool down_logged;    /* the outage was logged once */
};

static long long cfg_int(const struct dbwork *d, enum config_key k)
{
	return config_int(d->o.cfg, k);
}

/* The holds' rule (holds.h): the transfer thread runs per_endpoint_concurrency of a webhook's
 * jobs at once (slots.h) and starts the next held one as one ends, so a webhook that turns
 * over quickly does not wait for a claim round trip per freed slot; one that hangs holds only
 * what its slots run. */
static struct holds_opts holds_opts_of(const struct config *cfg)
{
	size_t cap = (size_t)config_int(cfg, CFG_PER_ENDPOINT_CONCURRENCY);
	size_t share = (size_t)config_int(cfg, CFG_MAX_IN_FLIGHT) / 4;
	long long quick = config_int(cfg, CFG_REQUEST_TIMEOUT_MS) / 2;
	struct holds_opts o = {cap, HOLD_MAX_FACTOR * cap, HOLD_WINDOW_MS,
	                       quick < HOLD_QUICK_MS ? quick : HOLD_QUICK_MS};
	if(o.max > share)
		o.max = share; /* holds_new keeps it at least cap */
	return o;
}

static void db_failed(struct dbwork *d, enum wh_err err)
{
	d->backoff_ms = d->backoff_ms ? d->backoff_ms * 2 : 100;
	if(d->backoff_ms > BACKOFF_MAX_MS)
		d->backoff_ms = BACKOFF_MAX_MS;
	d->db_retry_at = time_mono_ms() + d->backoff_ms;
	if(!d->down_logged)
		log_warn("database unavailable (%s); backing off", wh_err_code(err));
	d->down_logged = true;
	d->db_down = true;
}

static void db_ok(struct dbwork *d)
{
	if(d->down_logged)
		log_info("database reachable again");
	d->down_logged = false;
	d->db_down = false;
	d->backoff_ms = 0;
}

/* Notes a webhook whose job came back while claims were capped: it has room now, and its
 * due rows are claimed by an indexed read of its own (claim_refill) rather than by the due
 * scan, which would pass over every due row of the webhooks still saturated. Rate-limited
 * webhooks are left to the due scan at once (their pace decides how many they may hold). */
static void refill_note(struct dbwork *d, const struct job *job)
{
	if(job->rate_limit > 0) {
		d->round_due = d->round_due_scan = true;
		return;
	}
	for(size_t i = 0; i < d->nrefill; i++)
		if(!strcmp(d->refill[i], job->webhook_id))
			return;
	if(d->nrefill == d->refill_max) {
		d->refill_max = d->refill_max ? d->refill_max * 2 : 32;
		d->refill = xrealloc(d->refill, d->refill_max * sizeof(*d->refill));
	}
	memcpy(d->refill[d->nrefill++], job->webhook_id, ID_LEN + 1);
	d->refill_due = true;
}

/* Jobs back from the transfer thread: no longer held; finished ones go to the recording
 * thread, unsent ones to release. */
static void take_back(struct dbwork *d, struct job *done)
{
	struct job *finished = NULL;
	long long now = time_mono_ms();
	while(done) {
		struct job *job = done;
		done = job->next;
		holds_add(d->holds, job->webhook_id, -1);
		if(job->not_started)
			holds_waited_out(d->holds, job->webhook_id);
		else if(!job->rate_limit)
			holds_ended(d->holds, job->webhook_id, job->duration_ms, now);
		d->nheld--;
		if(d->room_capped)
			d->round_due = true; /* room for any webhook: the due scan finds the first due rows */
		else if(d->claims_capped)
			refill_note(d, job);
		job->next = job->not_started ? d->unreleased : finished;
		*(job->not_started ? &d->unreleased : &finished) = job;
	}
	recorder_add(d->rec, finished);
}

/* Gives back the leases of jobs handed back unsent, in one transaction. */
static void flush_unreleased(struct dbwork *d)
{
	enum wh_err result;
	if(!d->unreleased || d->db_down)
		return;
	result = claim_release_all(d->db, d->unreleased);
	if(result) {
		db_failed(d, result);
		return;
	}
	job_free_list(d->unreleased);
	d->unreleased = NULL;
}

/* Hands the claimed jobs to the transfer thread; skipped ones are recorded, those over
 * their endpoint's cap go back, due at once, in one transaction (the claim excludes
 * saturated endpoints, so they are not claimed again until there is room); when that fails
 * they wait with the unsent ones rather than for their leases to expire. Returns how many
 * went back. */
static size_t dispatch(struct dbwork *d, struct job *jobs)
{
	size_t nback = 0;
	long long now = time_mono_ms();
	struct job *back = NULL, *send = NULL, *skipped = NULL;
	while(jobs) {
		struct job *job = jobs;
		struct job **to = &send;
		/* a rate-limited webhook's jobs wait for their turn here, not for a slot: no more
		 * than per_endpoint_concurrency, so that two workers share its backlog evenly */
		size_t cap = job->rate_limit > 0 ? (size_t)cfg_int(d, CFG_PER_ENDPOINT_CONCURRENCY)
		                                 : holds_limit(d->holds, job->webhook_id, now);
		jobs = job->next;
		if(job->unloaded) { /* leased, maybe, and never loaded: its lease goes back */
			job->next = d->unreleased;
			d->unreleased = job;
			continue;
		}
		if(job->skip) {
			to = &skipped;
		} else if(holds_held(d->holds, job->webhook_id) >= cap) {
			to = &back;
			nback++;
		} else {
			holds_add(d->holds, job->webhook_id, +1);
			d->nheld++;
			if(job->rate_limit > 0) {
				pace_add(d->pace, job);
				continue;
			}
		}
		job->next = *to;
		*to = job;
	}
	handoff_send(d->o.handoff, send);
	recorder_add(d->rec, skipped);
	while(back) { /* given back with the unsent ones: retried when the database is away */
		struct job *job = back;
		back = job->next;
		job->next = d->unreleased;
		d->unreleased = job;
	}
	flush_unreleased(d);
	return nback;
}

/* What may still be claimed: max_in_flight less the jobs held and those not recorded yet. */
static long long room_of(struct dbwork *d)
{
	d->backlog_seen = recorder_backlog(d->rec);
	return cfg_int(d, CFG_MAX_IN_FLIGHT) - (long long)d->nheld - (long long)d->backlog_seen;
}

static struct claim_opts claim_opts_of(struct dbwork *d)
{
	long long room = room_of(d);
	struct claim_opts opts = {
	    d->o.master_key, d->o.lease_ms, d->o.record_margin_ms, 0, "", config_str(d->o.cfg, CFG_PUBLIC_BASE_URL)};
	opts.limit = room < cfg_int(d, CFG_WORKER_BATCH) ? room : cfg_int(d, CFG_WORKER_BATCH);
	return opts;
}

static size_t held_of(void *ctx, const char *webhook_id)
{
	const struct dbwork *d = ctx;
	return holds_held(d->holds, webhook_id);
}

static size_t hold_room_of(void *ctx, const char *webhook_id)
{
	struct dbwork *d = ctx;
	return holds_room(d->holds, webhook_id, time_mono_ms());
}

/* How many events a fan-out takes: worker_batch, or fewer when max_in_flight has room for
 * fewer of the deliveries they make (at the last fan-out's deliveries per event), so that
 * what a fan-out creates it can lease and start at once rather than leave due for a claim
 * (one more row write each); none while there is no room at all (the events wait in the
 * outbox, where a worker with room fans them out). */
static long long fanout_events(const struct dbwork *d, long long room)
{
	long long batch = cfg_int(d, CFG_WORKER_BATCH), n;
	if(room <= 0)
		return 0;
	if(!d->fan_deliveries)
		return batch;
	n = room * (long long)d->fan_events / (long long)d->fan_deliveries;
	return n < 1 ? 1 : n < batch ? n : batch;
}

/* Fans out a batch of events; the deliveries it could lease start at once. */
static enum wh_err fanout_round(struct dbwork *d, bool *busy)
{
	struct claim_opts opts = claim_opts_of(d);
	long long room = room_of(d), nwant = fanout_events(d, room);
	struct fanout_lease fl = {&opts, room > 0 ? (size_t)room : 0, hold_room_of, d, NULL, 0, 0};
	size_t nevents = 0;
	enum wh_err result;
	if(!nwant)
		return WH_OK;
	result = fanout_run(d->db, nwant, &nevents, &fl);
	dispatch(d, fl.jobs);
	if(!result && fl.ndeliveries) {
		d->fan_events = nevents;
		d->fan_deliveries = fl.ndeliveries;
	}
	if(!result && (long long)nevents == nwant)
		*busy = true;
	return result;
}

/* How long a rate-limited job may wait for its turn without cutting its attempt's time:
 * the lease, less the recording margin, the request timeout and the start margin. */
static long long pace_window_ms(const struct dbwork *d)
{
	long long w = d->o.lease_ms - d->o.record_margin_ms - cfg_int(d, CFG_REQUEST_TIMEOUT_MS) - PACE_START_MS;
	return w > 0 ? w : 0;
}

/* Hands over the rate-limited jobs whose turn has come; those that waited too long to get
 * a whole attempt inside their lease go back unsent. */
static void pace_pump(struct dbwork *d)
{
	struct job *late = NULL;
	struct job *go =
	    pace_take(d->pace, time_mono_ms(), d->hb.alive, cfg_int(d, CFG_REQUEST_TIMEOUT_MS) + PACE_START_MS, &late);
	handoff_send(d->o.handoff, go);
	for(struct job *j = late; j; j = j->next)
		j->not_started = true;
	take_back(d, late);
}

static enum wh_err claim_round(struct dbwork *d, bool *busy)
{
	struct buf exclude;
	struct job *jobs = NULL;
	size_t njobs = 0;
	struct claim_opts opts = claim_opts_of(d);
	enum wh_err result;

	buf_init(&exclude, BUF_MAX_DEFAULT);
	holds_full(d->holds, time_mono_ms(), &exclude);
	pace_full(d->pace, d->hb.alive, pace_window_ms(d), (size_t)cfg_int(d, CFG_PER_ENDPOINT_CONCURRENCY), held_of, d,
	          &exclude);
	opts.exclude = buf_str(&exclude);
	result = claim_due(d->db, &opts, &jobs, &njobs);
	d->room_capped = opts.limit < cfg_int(d, CFG_WORKER_BATCH);
	d->claims_capped = d->room_capped || exclude.len; /* some left out */
	d->next_scan = time_mono_ms() + SCAN_CAPPED_MS;
	d->nrefill = 0; /* the due scan looked at every webhook */
	d->refill_due = false;
	buf_release(&exclude);
	/* full: maybe more at once; not when some went back over their endpoint's cap (those
	 * endpoints are full now, and another scan would pass over their rows again) */
	if(!dispatch(d, jobs) && (long long)njobs == opts.limit && njobs)
		*busy = true;
	return result;
}

/* Claims the due rows of the webhooks noted by refill_note, each up to its free slots. */
static void refill_round(struct dbwork *d)
{
	struct claim_opts opts = claim_opts_of(d);
	size_t nwant = 0, njobs = 0;
	long long now = time_mono_ms();
	struct claim_want *want = xcalloc(d->nrefill ? d->nrefill : 1, sizeof(*want));
	struct job *jobs = NULL;
	enum wh_err result;
	for(size_t i = 0; i < d->nrefill; i++) {
		size_t room = holds_room(d->holds, d->refill[i], now);
		if(room)
			want[nwant++] = (struct claim_want){d->refill[i], room};
	}
	result = claim_refill(d->db, &opts, want, nwant, &jobs, &njobs);
	free(want);
	dispatch(d, jobs);
	d->nrefill = 0;
	d->refill_due = false;
	if(result && result != WH_ERR_DB_DOWN && db_last_retryable(d->db))
		d->round_due = true;
	else if(result)
		db_failed(d, result);
}

/* A full round is due on its schedule, after a full or capped one, or as soon as an event
 * waits to be fanned out (looked at every WAKE_CHECK_MS while idle). */
static bool round_due(struct dbwork *d)
{
	struct db_rows rows;
	bool due;
	if(d->round_due || time_mono_ms() >= d->next_round)
		return true;
	if(cfg_int(d, CFG_MAX_IN_FLIGHT) <= (long long)(d->nheld + recorder_backlog(d->rec)))
		return false; /* no room to fan out into (fanout_events) */
	if(db_exec(d->db, sql_unfanned, DBP_NONE, &rows, NULL))
		return true; /* the round finds out and backs off */
	due = rows.nrows > 0;
	db_rows_release(&rows);
	return due;
}

static enum wh_err retention_step(struct dbwork *d)
{
	unsigned long long deleted = 0;
	long long cutoff = time_now_ms() - cfg_int(d, CFG_RETENTION_DAYS) * 86400000LL;
	enum wh_err result;
	d->next_retention = time_mono_ms() + RETENTION_EVERY_MS;
	result = retention_run(d->db, cutoff, &deleted);
	if(!result && deleted)
		log_info("retention: deleted %llu old rows", deleted);
	return result;
}

/* Is the due scan due in this round? Always unless only saturated endpoints capped the last
 * one (SCAN_CAPPED_MS). */
static bool scan_due(struct dbwork *d)
{
	long long now = time_mono_ms(), due = recorder_take_next_due(d->rec);
	if(due && (!d->retry_due || due < d->retry_due))
		d->retry_due = due;
	bool retry = d->retry_due && now >= d->retry_due;
	if(retry)
		d->retry_due = 0; /* a later retry of the same batches waits for the next turn at most */
	if(!d->claims_capped || d->room_capped || d->round_due_scan || now >= d->next_scan || retry) {
		d->round_due_scan = false;
		return true;
	}
	return false;
}

static void db_round(struct dbwork *d)
{
	bool busy = false;
	enum wh_err result;
	d->round_due = false;
	d->next_round = time_mono_ms() + cfg_int(d, CFG_WORKER_POLL_MS);
	result = fanout_round(d, &busy);
	if(!result && scan_due(d))
		result = claim_round(d, &busy);
	else if(!result && d->refill_due)
		refill_round(d);
	if(!result && time_mono_ms() >= d->next_retention)
		result = retention_step(d);
	if(result && result != WH_ERR_DB_DOWN && db_last_retryable(d->db))
		d->round_due = true; /* a deadlock or a certification conflict: again at once */
	else if(result)
		db_failed(d, result);
	else if(!d->db_down) /* a release in the round may have failed */
		db_ok(d);
	d->round_due = d->round_due || busy;
}

/* A worker that finds others alive at its first beat holds its rate-limited turns until they
 * all count it: until then each of them still sends the larger share of fewer workers. */
static void beat(struct dbwork *d)
{
	enum wh_err result;
	bool first = !d->hb.written;
	d->next_beat = time_mono_ms() + HEARTBEAT_EVERY_MS;
	result = heartbeat_beat(d->db, &d->hb);
	if(result)
		db_failed(d, result);
	else if(first && d->hb.alive > 1)
		pace_hold(d->pace, time_mono_ms() + HEARTBEAT_SEEN_MS);
}

/* One pass: release, the heartbeat, then (unless stopping) a round when one is due. The
 * recording thread writes finished attempts meanwhile. */
static void step(struct dbwork *d, bool stopping)
{
	if(d->db_down && time_mono_ms() >= d->db_retry_at)
		d->db_down = false; /* try the queued writes again */
	if(d->room_capped && recorder_backlog(d->rec) < d->backlog_seen)
		d->round_due = true; /* recording freed room */
	flush_unreleased(d);
	if(time_mono_ms() >= d->next_sweep) {
		d->next_sweep = time_mono_ms() + HOLD_SWEEP_MS;
		holds_sweep(d->holds, time_mono_ms());
	}
	if(!d->db_down && time_mono_ms() >= d->next_beat)
		beat(d);
	/* no claim before the first beat: rate shares need the count of live workers */
	if(!d->db_down && !stopping && d->hb.written && round_due(d))
		db_round(d);
	else if(!d->db_down && !stopping && d->refill_due)
		refill_round(d);
	if(!stopping)
		pace_pump(d);
}

/* How long the thread may sleep before its next pass (finished jobs wake it earlier). */
static long long idle_ms(const struct dbwork *d, bool stopping)
{
	long long now = time_mono_ms(), wait = WAKE_CHECK_MS, turn = pace_next_ms(d->pace, now, d->hb.alive);
	if(d->db_down)
		wait = d->db_retry_at > now ? d->db_retry_at - now : 0;
	else if(stopping)
		return 100;
	else if(d->round_due || d->refill_due)
		return 0;
	else if(d->next_round - now < wait)
		wait = d->next_round - now;
	if(turn >= 0 && turn < wait) /* rate-limited jobs go on their turn, the database or not */
		wait = turn;
	return wait > 0 ? wait : 0;
}

/* After the transfer thread handed everything back: true when all is written, or when the
 * database stayed away past STOP_DB_MAX_MS (the leases then expire by themselves). */
static bool stop_done(struct dbwork *d)
{
	if(!d->stop_deadline) { /* jobs claimed while the stop began, or waiting for their turn */
		struct job *unsent = handoff_take_to_send(d->o.handoff), *waiting = pace_take_all(d->pace);
		while(waiting) {
			struct job *job = waiting;
			waiting = job->next;
			job->next = unsent;
			unsent = job;
		}
		for(struct job *j = unsent; j; j = j->next)
			j->not_started = true;
		d->stop_deadline = time_mono_ms() + STOP_DB_MAX_MS;
		take_back(d, unsent);
	}
	if(!d->unreleased && !recorder_backlog(d->rec))
		return true;
	if(time_mono_ms() < d->stop_deadline)
		return false;
	if(d->unreleased)
		log_warn("database unavailable at stop: the leases of unsent jobs will expire");
	return true; /* the recording thread gives up on its own (recorder_stop) */
}

static void *run(void *arg)
{
	struct dbwork *d = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to the transfer thread */
	for(;;) {
		bool stopping = handoff_stopping(d->o.handoff);
		struct job *done;
		if(stopping && handoff_is_over(d->o.handoff) && stop_done(d))
			break;
		step(d, stopping);
		done = handoff_wait_finished(d->o.handoff, idle_ms(d, stopping));
		take_back(d, done);
	}
	if(!d->db_down && d->hb.written && heartbeat_end(d->db, &d->hb))
		log_warn("could not delete this worker's heartbeat row; it ages out");
	return NULL;
}

struct dbwork *dbwork_start(const struct dbwork_opts *opts)
{
	struct dbwork *d = xcalloc(1, sizeof(*d));
	struct holds_opts ho = holds_opts_of(opts->cfg);
	d->o = *opts;
	d->holds = holds_new(&ho);
	d->pace = pace_new();
	heartbeat_init(&d->hb);
	d->rec = recorder_start(opts->cfg, opts->rec, opts->handoff);
	if(db_open(&d->db, opts->cfg))
		db_failed(d, WH_ERR_DB_DOWN);
	if(!d->rec || pthread_create(&d->thread, NULL, run, d)) {
		log_err("cannot start the database thread");
		recorder_stop(d->rec, 0);
		db_free(d->db);
		holds_free(d->holds);
		pace_free(d->pace);
		free(d);
		return NULL;
	}
	return d;
}

void dbwork_join(struct dbwork *d)
{
	long long left;
	if(!d)
		return;
	pthread_join(d->thread, NULL);
	left = d->stop_deadline - time_mono_ms();
	recorder_stop(d->rec, left > 0 ? left : 0);
	job_free_list(d->unreleased);
	free(d->refill);
	holds_free(d->holds);
	pace_free(d->pace);
	db_free(d->db);
	free(d);
}
