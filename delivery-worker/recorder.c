/* The recording thread: finished attempts written on a connection of their own. */
#include "delivery-worker/recorder.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/db.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/xalloc.h"

#define BACKOFF_MAX_MS 2000

struct recorder {
	const struct record_opts *rec; /* borrowed */
	struct handoff *handoff;       /* borrowed */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	struct db *db;      /* the thread's own */
	struct job *head;   /* queued, oldest first (next-linked) */
	struct job **tail;  /* &last->next */
	size_t backlog;     /* queued plus the batch being written */
	bool stopping;      /* recorder_stop: end once the queue is empty */
	long long stop_at;  /* ...or at this time while the database is away */
	bool down;          /* the last batch failed: wait until retry_at */
	bool down_logged;   /* the outage was logged once */
	long long retry_at; /* monotonic ms */
	long long next_due; /* monotonic ms the earliest retry recorded comes due, 0: none (taken
	                       by recorder_take_next_due) */
	long long backoff_ms;
};

static void log_recorded(const struct job *job)
{
	if(job->lease_lost && !job->recorded_before)
		log_warn("delivery %s: lease lost; the attempt is recorded as superseded", job->id);
	else if(job->lease_lost)
		log_debug("delivery %s: already recorded (lease %s)", job->id, job->lease);
	else if(job->skip)
		log_info("delivery %s: not sent (%s)", job->id, record_skip_reason(job->skip));
	else if(job->error)
		log_info("delivery %s: attempt failed (%s, status %ld, %lld ms)", job->id, job->error, job->status_code,
		         job->duration_ms);
	else
		log_debug("delivery %s: delivered (status %ld, %lld ms, lease %s)", job->id, job->status_code,
		          job->duration_ms, job->lease);
}

/* Called with the lock held. */
static void went_wrong(struct recorder *r, enum wh_err err)
{
	r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : 100;
	if(r->backoff_ms > BACKOFF_MAX_MS)
		r->backoff_ms = BACKOFF_MAX_MS;
	r->retry_at = time_mono_ms() + r->backoff_ms;
	if(!r->down_logged)
		log_warn("database unavailable for recording (%s); backing off", wh_err_code(err));
	r->down_logged = true;
	r->down = true;
}

/* Called with the lock held. */
static void went_right(struct recorder *r)
{
	if(r->down_logged)
		log_info("database reachable again for recording");
	r->down_logged = r->down = false;
	r->backoff_ms = 0;
}

/* Waits (lock held) until `until` (monotonic ms) or a signal. */
static void wait_until(struct recorder *r, long long until)
{
	struct timespec ts;
	long long left = until - time_mono_ms();
	if(left <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(left / 1000);
	ts.tv_nsec += (long)(left % 1000) * 1000000L;
	if(ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&r->wake, &r->mu, &ts); /* woken or timed out: the loop looks again */
}

/* Detaches up to RECORD_BATCH_MAX jobs from the queue's head (lock held); *n their number. */
static struct job *take_batch(struct recorder *r, size_t *n)
{
	struct job *batch = r->head, *last = NULL;
	*n = 0;
	for(struct job *j = r->head; j && *n < RECORD_BATCH_MAX; j = j->next) {
		last = j;
		(*n)++;
	}
	r->head = last->next;
	if(!r->head)
		r->tail = &r->head;
	last->next = NULL;
	return batch;
}

/* Puts a batch that could not be written back at the queue's head (lock held). */
static void put_back(struct recorder *r, struct job *batch)
{
	struct job *last = batch;
	while(last->next)
		last = last->next;
	last->next = r->head;
	if(!r->head)
		r->tail = &last->next;
	r->head = batch;
}

/* Writes one batch outside the lock; true when it was written. */
static bool record_one(struct recorder *r)
{
	size_t n;
	struct job *batch = take_batch(r, &n);
	long long next_retry = 0, due = 0;
	enum wh_err result;
	pthread_mutex_unlock(&r->mu);
	result = record_batch(r->db, r->rec, batch, n, &next_retry);
	if(!result && next_retry)
		due = time_mono_ms() + (next_retry - time_now_ms());
	if(!result) {
		for(struct job *j = batch; j; j = j->next)
			log_recorded(j);
		job_free_list(batch);
		handoff_kick(r->handoff); /* the room it frees */
	}
	pthread_mutex_lock(&r->mu);
	if(!result) {
		r->backlog -= n;
		if(due && (!r->next_due || due < r->next_due))
			r->next_due = due;
		went_right(r);
		return true;
	}
	put_back(r, batch);
	if(!db_last_retryable(r->db)) /* a deadlock or a certification conflict: again at once */
		went_wrong(r, result);
	return false;
}

static void *run(void *arg)
{
	struct recorder *r = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to the transfer thread */
	pthread_mutex_lock(&r->mu);
	for(;;) {
		long long now = time_mono_ms();
		if(!r->head && r->stopping)
			break;
		if(r->stopping && r->down && now >= r->stop_at) {
			log_warn("database unavailable at stop: the leases of %zu finished attempt(s) will expire",
			         r->backlog);
			break;
		}
		if(!r->head)
			pthread_cond_wait(&r->wake, &r->mu);
		else if(r->down && now < r->retry_at)
			wait_until(r, r->stopping && r->stop_at < r->retry_at ? r->stop_at : r->retry_at);
		else
			(void)record_one(r); /* a failure is retried after its back-off */
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

struct recorder *recorder_start(const struct config *cfg, const struct record_opts *rec, struct handoff *handoff)
{
	struct recorder *r = xcalloc(1, sizeof(*r));
	pthread_condattr_t attr;
	r->rec = rec;
	r->handoff = handoff;
	r->tail = &r->head;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->wake, &attr);
	pthread_condattr_destroy(&attr);
	if(db_open_causal(&r->db, cfg)) /* its records follow claims committed on another connection */
		went_wrong(r, WH_ERR_DB_DOWN);
	if(pthread_create(&r->thread, NULL, run, r)) {
		log_err("cannot start the recording thread");
		db_free(r->db);
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return NULL;
	}
	return r;
}

void recorder_add(struct recorder *r, struct job *jobs)
{
	if(!jobs)
		return;
	pthread_mutex_lock(&r->mu);
	*r->tail = jobs;
	for(; jobs; jobs = jobs->next) {
		r->backlog++;
		r->tail = &jobs->next;
	}
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->mu);
}

long long recorder_take_next_due(struct recorder *r)
{
	long long due;
	pthread_mutex_lock(&r->mu);
	due = r->next_due;
	r->next_due = 0;
	pthread_mutex_unlock(&r->mu);
	return due;
}

size_t recorder_backlog(struct recorder *r)
{
	size_t n;
	pthread_mutex_lock(&r->mu);
	n = r->backlog;
	pthread_mutex_unlock(&r->mu);
	return n;
}

void recorder_stop(struct recorder *r, long long stop_after_ms)
{
	if(!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	r->stop_at = time_mono_ms() + stop_after_ms;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	job_free_list(r->head);
	db_free(r->db);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
