/* delivery-worker: fans outbox events out to webhooks, sends signed attempts over curl
 * multi, records outcomes, retries, and cleans up after retention_days. Several workers
 * may share one database. Two threads: this one drives the transfers (curl multi) and
 * nothing else; the database thread (dbwork.h) does every database step, so no database
 * wait pauses a transfer. SIGTERM: no new claims, in-flight attempts finish (or are
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
#include "delivery-worker/dbwork.h"
#include "delivery-worker/handoff.h"
#include "delivery-worker/record.h"
#include "delivery-worker/retry.h"
#include "delivery-worker/sender.h"
#include "delivery-worker/slots.h"

#define STOP_GRACE_MAX_MS 10000
/* The end of every lease kept for recording its attempt: an attempt's requests end this long
 * before the lease does (as seen from this host). */
#define RECORD_MARGIN_MS 1000
/* A claimed job is started only with at least this much of its lease left (it waited in the
 * hand-off); otherwise it goes back unsent. */
#define START_MIN_MS 1000
/* The transfer thread's longest wait without activity (a hand-off wakes it at once). */
#define IDLE_WAIT_MS 100
/* Jobs waiting for a slot go back unsent when none of their webhook's attempts ended for this
 * long (slots_shed): a held webhook's jobs wait about one hold window (holds.h, 250 ms) while
 * its endpoint turns over, so a second without an end means it stopped (it hangs). Looked at
 * every IDLE_WAIT_MS. */
#define SHED_IDLE_MS 1000

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

struct worker {
	struct config cfg;
	unsigned char master_key[CRYPTO_KEY_LEN];
	struct urlpolicy policy;
	struct retry_schedule schedule;
	struct record_opts rec;
	struct sender *sender;
	struct slots *slots; /* per_endpoint_concurrency in flight; the rest of a webhook's jobs wait */
	struct handoff handoff;
	struct dbwork *dbwork;
	long long lease_ms;
	long long next_shed; /* monotonic ms of the next look for stalled webhooks' waiting jobs */
};

static long long cfg_int(const struct worker *w, enum config_key k)
{
	return config_int(&w->cfg, k);
}

static void wake_transfers(void *ctx)
{
	sender_wakeup(ctx);
}

static void give_back(struct job *job, struct job **done)
{
	job->not_started = true;
	job->next = *done;
	*done = job;
}

/* Starts the jobs the database thread handed over, as their webhooks' slots allow (the rest
 * wait in w->slots); one whose lease is nearly over, or any after the stop, goes back unsent. */
static void start_jobs(struct worker *w, struct job *jobs, struct job **done)
{
	while(jobs) {
		struct job *job = jobs;
		jobs = job->next;
		job->next = NULL;
		if(stopping || job->deadline_mono - time_mono_ms() < START_MIN_MS)
			give_back(job, done);
		else if(slots_admit(w->slots, job))
			sender_start(w->sender, job);
	}
}

/* An attempt ended: the next waiting job of its webhook takes the slot. One that waited so
 * long that less than a whole request timeout is left of its lease goes back unsent (so
 * waiting never cuts an attempt's time), and the next one is tried. */
static void refill_slot(struct worker *w, const struct job *ended, struct job **done)
{
	struct job *next;
	while((next = slots_end(w->slots, ended->webhook_id))) {
		if(!stopping &&
		   next->deadline_mono - time_mono_ms() >= cfg_int(w, CFG_REQUEST_TIMEOUT_MS) + START_MIN_MS) {
			sender_start(w->sender, next);
			return;
		}
		give_back(next, done);
	}
}

/* The waiting jobs of webhooks that stopped turning over go back unsent. */
static void shed_stalled(struct worker *w, struct job **done)
{
	long long now = time_mono_ms();
	struct job *shed;
	if(now < w->next_shed)
		return;
	w->next_shed = now + IDLE_WAIT_MS;
	shed = slots_shed(w->slots, now, SHED_IDLE_MS);
	if(shed)
		log_debug("waiting jobs of a webhook that stopped turning over go back unsent (%s first)",
		          shed->webhook_id);
	while(shed) {
		struct job *job = shed;
		shed = job->next;
		give_back(job, done);
	}
}

/* One pass of the transfer thread: new jobs started, transfers driven (waiting up to
 * wait_ms), finished ones handed back and their slots given to waiting jobs. */
static void transfer_pass(struct worker *w, int wait_ms)
{
	struct job *done = NULL, *ended = NULL;
	start_jobs(w, handoff_take_to_send(&w->handoff), &done);
	shed_stalled(w, &done);
	sender_run(w->sender, done ? 0 : wait_ms, &ended);
	while(ended) {
		struct job *job = ended;
		ended = job->next;
		refill_slot(w, job, &done);
		job->next = done;
		done = job;
	}
	handoff_finish(&w->handoff, done);
}

/* SIGTERM: no new claims; in-flight attempts get a grace period to finish, the rest go back
 * unsent; then the database thread records and releases everything and ends. */
static void drain(struct worker *w)
{
	long long grace = cfg_int(w, CFG_REQUEST_TIMEOUT_MS), deadline;
	struct job *left = NULL;
	if(grace > STOP_GRACE_MAX_MS)
		grace = STOP_GRACE_MAX_MS;
	deadline = time_mono_ms() + grace;
	handoff_stop(&w->handoff);
	while(sender_in_flight(w->sender) && time_mono_ms() < deadline)
		transfer_pass(w, IDLE_WAIT_MS);
	transfer_pass(w, 0); /* jobs handed over during the stop go back */
	sender_abort_all(w->sender, &left);
	for(struct job *j = left; j; j = j->next)
		j->not_started = true;
	handoff_finish(&w->handoff, left);
	left = slots_take_all(w->slots); /* waiting for a slot: unsent */
	for(struct job *j = left; j; j = j->next)
		j->not_started = true;
	handoff_finish(&w->handoff, left);
	handoff_over(&w->handoff);
	dbwork_join(w->dbwork);
	w->dbwork = NULL;
}

static const char *prog = "delivery-worker";

/* The worker's statements are small: one that waits this long on a healthy node is stuck, and
 * its connection is dropped and made again (20 s, not Connector/C's 60: shorter than the
 * default lease, longer than the few seconds a cluster holds commits while it evicts a dead
 * node). A row lock wait ends first, with a 1205 that is retried. */
#define DB_NETWORK_TIMEOUT_S 20
#define DB_LOCK_WAIT_S 10

static int setup(struct worker *w, const char *config_path)
{
	char err[1024];
	struct sender_opts so;
	if(config_load(&w->cfg, config_path, err, sizeof(err))) {
		log_err("%s", err);
		return 2;
	}
	log_setup(prog, (enum log_level)config_int(&w->cfg, CFG_LOG_LEVEL));
	db_set_timeouts(DB_NETWORK_TIMEOUT_S, DB_LOCK_WAIT_S);
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
	                          config_str(&w->cfg, CFG_EGRESS_PROXY),
	                          cfg_int(w, CFG_KEEPALIVE_MAX_IDLE_SECONDS)};
	w->sender = sender_new(&so);
	w->slots = slots_new((size_t)cfg_int(w, CFG_PER_ENDPOINT_CONCURRENCY));
	handoff_init(&w->handoff, wake_transfers, w->sender);
	return 0;
}

static int start_db_thread(struct worker *w)
{
	struct dbwork_opts o = {&w->cfg, w->master_key, &w->rec, w->lease_ms, RECORD_MARGIN_MS, &w->handoff};
	w->dbwork = dbwork_start(&o);
	return w->dbwork ? 0 : 1;
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
	rc = start_db_thread(&w);
	if(rc)
		goto out;
	log_info("worker started");
	while(!stopping)
		transfer_pass(&w, IDLE_WAIT_MS);
	log_info("worker stopping: %zu attempt(s) in flight", sender_in_flight(w.sender));
	drain(&w);
	log_info("worker stopped");
out:
	sender_free(w.sender);
	slots_free(w.slots);
	if(w.sender)
		handoff_release(&w.handoff);
	OPENSSL_cleanse(w.master_key, sizeof(w.master_key));
	urlpolicy_release(&w.policy);
	config_release(&w.cfg);
	curl_global_cleanup();
	return rc;
}
