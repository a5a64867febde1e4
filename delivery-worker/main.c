/* delivery-worker: fans outbox events out to webhooks, sends signed attempts over curl
 * multi, records outcomes, retries, and cleans up after retention_days. Several workers
 * may share one database. SIGTERM: no new claims, in-flight attempts finish (or are
 * released after a grace period), exit 0. */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/urlpolicy.h"
#include "common/version.h"
#include "delivery-worker/claim.h"
#include "delivery-worker/fanout.h"
#include "delivery-worker/record.h"
#include "delivery-worker/retention.h"
#include "delivery-worker/retry.h"
#include "delivery-worker/sender.h"

#define BACKOFF_MAX_MS 2000
#define RETENTION_EVERY_MS 5000
#define STOP_GRACE_MAX_MS 10000
/* Between full rounds (worker_poll_ms) an idle worker looks this often for new events. */
#define WAKE_CHECK_MS 5

/* Is anything waiting to be fanned out? One indexed read (events_pending). */
static const char sql_unfanned[] = "SELECT 1 FROM events WHERE fanned_out = 0 LIMIT 1";

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

struct worker {
	struct config cfg;
	struct db *db;
	unsigned char master_key[CRYPTO_KEY_LEN];
	struct urlpolicy policy;
	struct retry_schedule schedule;
	struct record_opts rec;
	struct sender *sender;
	struct job *unrecorded; /* finished attempts waiting for the database */
	long long lease_ms, db_retry_at, backoff_ms, next_retention;
	long long next_round; /* the next full round (fan-out, claims) without a reason */
	bool round_due;       /* the last round was full, or transfers ended while claims were capped */
	bool claims_capped;   /* the last claim was limited by max_in_flight or an endpoint's cap */
	bool db_down;         /* writes wait until db_retry_at */
	bool down_logged;     /* the outage was logged once */
};

static long long cfg_int(const struct worker *w, enum config_key k)
{
	return config_int(&w->cfg, k);
}

static void db_failed(struct worker *w, enum wh_err err)
{
	w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : 100;
	if(w->backoff_ms > BACKOFF_MAX_MS)
		w->backoff_ms = BACKOFF_MAX_MS;
	w->db_retry_at = time_now_ms() + w->backoff_ms;
	if(!w->down_logged)
		log_warn("database unavailable (%s); backing off", wh_err_code(err));
	w->down_logged = true;
	w->db_down = true;
}

static void db_ok(struct worker *w)
{
	if(w->down_logged)
		log_info("database reachable again");
	w->down_logged = false;
	w->db_down = false;
	w->backoff_ms = 0;
}

static void log_recorded(const struct job *job)
{
	if(job->lease_lost)
		log_warn("delivery %s: lease lost, outcome dropped", job->id);
	else if(job->skip)
		log_info("delivery %s: not sent (%s)", job->id, record_skip_reason(job->skip));
	else if(job->error)
		log_info("delivery %s: attempt failed (%s, status %ld, %lld ms)", job->id, job->error, job->status_code,
		         job->duration_ms);
	else
		log_debug("delivery %s: delivered (status %ld, %lld ms)", job->id, job->status_code, job->duration_ms);
}

/* Writes finished attempts, a batch per transaction; what can't be written stays queued
 * for the next round. */
static void flush_unrecorded(struct worker *w)
{
	while(w->unrecorded && !w->db_down) {
		size_t n = 0;
		enum wh_err result;
		for(struct job *j = w->unrecorded; j && n < RECORD_BATCH_MAX; j = j->next)
			n++;
		result = record_batch(w->db, &w->rec, w->unrecorded, n);
		if(result) {
			db_failed(w, result);
			return;
		}
		while(n--) {
			struct job *job = w->unrecorded;
			log_recorded(job);
			w->unrecorded = job->next;
			job_free(job);
		}
	}
}

static void queue_done(struct worker *w, struct job *done)
{
	while(done) {
		struct job *next = done->next;
		done->next = w->unrecorded;
		w->unrecorded = done;
		done = next;
	}
}

/* Starts the claimed jobs; those over their endpoint's cap go back, due at once, in one
 * transaction (the claim excludes saturated endpoints, so they are not claimed again until
 * there is room). */
static void dispatch(struct worker *w, struct job *jobs)
{
	size_t cap = (size_t)cfg_int(w, CFG_PER_ENDPOINT_CONCURRENCY);
	struct job *back = NULL;
	while(jobs) {
		struct job *job = jobs;
		jobs = job->next;
		job->next = NULL;
		if(job->skip) {
			queue_done(w, job);
		} else if(sender_count(w->sender, job->webhook_id) >= cap) {
			job->next = back;
			back = job;
		} else {
			sender_start(w->sender, job);
		}
	}
	if(back && claim_release_all(w->db, back, time_now_ms()))
		log_debug("%s: release failed; the leases will expire", back->id);
	while(back) {
		struct job *next = back->next;
		job_free(back);
		back = next;
	}
}

static enum wh_err claim_round(struct worker *w, bool *busy)
{
	struct buf exclude;
	struct job *jobs = NULL;
	size_t njobs = 0;
	long long room = cfg_int(w, CFG_MAX_IN_FLIGHT) - (long long)sender_in_flight(w->sender);
	struct claim_opts opts = {w->master_key, w->lease_ms, 0, "", config_str(&w->cfg, CFG_PUBLIC_BASE_URL)};
	enum wh_err result;

	opts.limit = room < cfg_int(w, CFG_WORKER_BATCH) ? room : cfg_int(w, CFG_WORKER_BATCH);
	buf_init(&exclude, BUF_MAX_DEFAULT);
	sender_saturated(w->sender, (size_t)cfg_int(w, CFG_PER_ENDPOINT_CONCURRENCY), &exclude);
	opts.exclude = buf_str(&exclude);
	result = claim_due(w->db, &opts, &jobs, &njobs);
	w->claims_capped = opts.limit < cfg_int(w, CFG_WORKER_BATCH) || exclude.len;
	buf_release(&exclude);
	dispatch(w, jobs);
	if((long long)njobs == opts.limit && njobs)
		*busy = true;
	return result;
}

/* Services transfers without waiting, between database steps. */
static void pump(struct worker *w)
{
	struct job *done = NULL;
	sender_run(w->sender, 0, &done);
	if(done && w->claims_capped)
		w->round_due = true;
	queue_done(w, done);
}

/* A full round is due on its schedule, after a full or capped one, or as soon as an event
 * waits to be fanned out (looked at every WAKE_CHECK_MS while idle). */
static bool round_due(struct worker *w)
{
	struct db_rows rows;
	bool due;
	if(w->round_due || time_now_ms() >= w->next_round)
		return true;
	if(db_exec(w->db, sql_unfanned, DBP_NONE, &rows, NULL))
		return true; /* the round finds out and backs off */
	due = rows.nrows > 0;
	db_rows_release(&rows);
	return due;
}

static enum wh_err db_round(struct worker *w, bool *busy)
{
	size_t nevents = 0;
	enum wh_err result = fanout_run(w->db, cfg_int(w, CFG_WORKER_BATCH), &nevents);
	if(!result && (long long)nevents == cfg_int(w, CFG_WORKER_BATCH))
		*busy = true;
	pump(w);
	if(!result)
		result = claim_round(w, busy);
	if(!result && time_now_ms() >= w->next_retention) {
		unsigned long long deleted = 0;
		long long cutoff = time_now_ms() - cfg_int(w, CFG_RETENTION_DAYS) * 86400000LL;
		w->next_retention = time_now_ms() + RETENTION_EVERY_MS;
		result = retention_run(w->db, cutoff, &deleted);
		if(!result && deleted)
			log_info("retention: deleted %llu old rows", deleted);
	}
	return result;
}

static void tick(struct worker *w)
{
	bool busy = false;
	if(w->db_down && time_now_ms() >= w->db_retry_at)
		w->db_down = false; /* try the queued writes again */
	flush_unrecorded(w);        /* before claiming: our own expired leases must not be claimed first */
	if(!w->db_down && time_now_ms() >= w->db_retry_at && round_due(w)) {
		enum wh_err result;
		pump(w);
		w->round_due = false;
		w->next_round = time_now_ms() + cfg_int(w, CFG_WORKER_POLL_MS);
		result = db_round(w, &busy);
		if(result && result != WH_ERR_DB_DOWN && db_last_retryable(w->db))
			w->round_due = true; /* a deadlock or a certification conflict: again at once */
		else if(result)
			db_failed(w, result);
		else
			db_ok(w);
		w->round_due = w->round_due || busy;
	}
	{
		struct job *done = NULL;
		long long wait = w->next_round - time_now_ms();
		if(wait > WAKE_CHECK_MS || w->db_down)
			wait = WAKE_CHECK_MS;
		if(wait < 0 || (w->round_due && !w->db_down))
			wait = 0;
		sender_run(w->sender, (int)wait, &done);
		if(done && w->claims_capped)
			w->round_due = true;
		queue_done(w, done);
	}
	if(w->db_down && time_now_ms() >= w->db_retry_at)
		w->db_down = false; /* try the queued writes again */
	flush_unrecorded(w);
}

/* SIGTERM: in-flight attempts get a grace period to finish; the rest are released. */
static void drain(struct worker *w)
{
	long long grace = cfg_int(w, CFG_REQUEST_TIMEOUT_MS), deadline;
	struct job *left = NULL;
	if(grace > STOP_GRACE_MAX_MS)
		grace = STOP_GRACE_MAX_MS;
	deadline = time_now_ms() + grace;
	while(sender_in_flight(w->sender) && time_now_ms() < deadline) {
		struct job *done = NULL;
		sender_run(w->sender, 100, &done);
		queue_done(w, done);
		w->db_down = false;
		flush_unrecorded(w);
	}
	sender_abort_all(w->sender, &left);
	while(left) {
		struct job *next = left->next;
		claim_release(w->db, left, time_now_ms());
		job_free(left);
		left = next;
	}
	w->db_down = false;
	flush_unrecorded(w);
	while(w->unrecorded) { /* the database is gone: the leases will expire */
		struct job *next = w->unrecorded->next;
		job_free(w->unrecorded);
		w->unrecorded = next;
	}
}

static const char *prog = "delivery-worker";

static int setup(struct worker *w, const char *config_path)
{
	char err[1024];
	struct sender_opts so;
	if(config_load(&w->cfg, config_path, err, sizeof(err))) {
		log_err("%s", err);
		return 2;
	}
	log_setup(prog, (enum log_level)config_int(&w->cfg, CFG_LOG_LEVEL));
	if(retry_schedule_parse(config_str(&w->cfg, CFG_RETRY_SCHEDULE), &w->schedule)) {
		log_err("retry_schedule: expected comma-separated seconds, got '%s'",
		        config_str(&w->cfg, CFG_RETRY_SCHEDULE));
		return 2;
	}
	if(urlpolicy_init(&w->policy, config_bool(&w->cfg, CFG_ALLOW_PRIVATE_TARGETS),
	                  config_str(&w->cfg, CFG_ALLOW_CIDRS), err, sizeof(err)) ||
	   crypto_master_key_load(config_str(&w->cfg, CFG_MASTER_KEY_FILE), w->master_key, err, sizeof(err))) {
		log_err("%s", err);
		return 2;
	}
	w->rec.schedule = &w->schedule;
	w->rec.disable_after_ms = cfg_int(w, CFG_DISABLE_AFTER_SECONDS) * 1000;
	/* a lease must outlive the longest attempt, or two workers could send at once */
	w->lease_ms = cfg_int(w, CFG_LEASE_SECONDS) * 1000;
	if(w->lease_ms < cfg_int(w, CFG_REQUEST_TIMEOUT_MS) + 2000) {
		w->lease_ms = cfg_int(w, CFG_REQUEST_TIMEOUT_MS) + 2000;
		log_warn("lease_seconds raised to %lld ms: it must outlive request_timeout_ms", w->lease_ms);
	}
	so = (struct sender_opts){cfg_int(w, CFG_CONNECT_TIMEOUT_MS),
	                          cfg_int(w, CFG_REQUEST_TIMEOUT_MS),
	                          cfg_int(w, CFG_MAX_IN_FLIGHT),
	                          config_bool(&w->cfg, CFG_ALLOW_HTTP_TARGETS),
	                          &w->policy,
	                          w->master_key,
	                          w->lease_ms - 1000,
	                          config_str(&w->cfg, CFG_EGRESS_PROXY)};
	w->sender = sender_new(&so);
	return 0;
}

int main(int argc, char **argv)
{
	static struct worker w;
	const char *config_path = config_default_path();
	struct sigaction sa;
	int rc;

	const char *slash = strrchr(argv[0], '/');

	prog = slash ? slash + 1 : argv[0]; /* delivery-worker, or linehook-worker installed */
	if(argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: %s [--config FILE]\n"
		       "Delivers the outbox's events to the matching webhooks until SIGTERM.\n"
		       "The config file is FILE, else %s; WH_<KEY> variables override its keys.\n"
		       "--version prints the version.\n",
		       prog, config_path ? config_path : "built-in defaults only");
		return 0;
	}
	if(argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%s %s\n", prog, LINEHOOK_VERSION);
		return 0;
	}
	if(argc == 3 && !strcmp(argv[1], "--config"))
		config_path = argv[2];
	else if(argc != 1) {
		fprintf(stderr, "usage: %s [--config FILE | --help | --version]\n", prog);
		return 2;
	}
	log_setup(prog, LOG_LEVEL_INFO);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	srandom((unsigned)(time_now_ms() ^ getpid()));
	rc = setup(&w, config_path);
	if(rc)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if(db_open(&w.db, &w.cfg))
		db_failed(&w, WH_ERR_DB_DOWN);
	log_info("worker started");
	while(!stopping)
		tick(&w);
	log_info("worker stopping: %zu attempt(s) in flight", sender_in_flight(w.sender));
	drain(&w);
	log_info("worker stopped");
out:
	sender_free(w.sender);
	OPENSSL_cleanse(w.master_key, sizeof(w.master_key));
	db_free(w.db);
	urlpolicy_release(&w.policy);
	config_release(&w.cfg);
	curl_global_cleanup();
	return rc;
}
