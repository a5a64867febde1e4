/* The hand-off lists between the database thread and the transfer thread. */
#include "delivery-worker/handoff.h"

#include <errno.h>
#include <time.h>

void handoff_init(struct handoff *h, void (*wake_transfers)(void *ctx), void *ctx)
{
	pthread_condattr_t attr;
	*h = (struct handoff){.wake_transfers = wake_transfers, .wake_ctx = ctx};
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&h->db_wake, &attr);
	pthread_condattr_destroy(&attr);
}

void handoff_release(struct handoff *h)
{
	job_free_list(h->to_send);
	job_free_list(h->finished);
	h->to_send = h->finished = NULL;
	pthread_cond_destroy(&h->db_wake);
	pthread_mutex_destroy(&h->mu);
}

/* Prepends list to *to. */
static void splice(struct job **to, struct job *list)
{
	while(list) {
		struct job *next = list->next;
		list->next = *to;
		*to = list;
		list = next;
	}
}

void handoff_send(struct handoff *h, struct job *jobs)
{
	if(!jobs)
		return;
	pthread_mutex_lock(&h->mu);
	splice(&h->to_send, jobs);
	pthread_mutex_unlock(&h->mu);
	h->wake_transfers(h->wake_ctx);
}

struct job *handoff_take_to_send(struct handoff *h)
{
	struct job *jobs;
	pthread_mutex_lock(&h->mu);
	jobs = h->to_send;
	h->to_send = NULL;
	pthread_mutex_unlock(&h->mu);
	return jobs;
}

void handoff_finish(struct handoff *h, struct job *done)
{
	if(!done)
		return;
	pthread_mutex_lock(&h->mu);
	splice(&h->finished, done);
	pthread_cond_signal(&h->db_wake);
	pthread_mutex_unlock(&h->mu);
}

struct job *handoff_wait_finished(struct handoff *h, long long timeout_ms)
{
	struct job *done;
	pthread_mutex_lock(&h->mu);
	if(timeout_ms > 0 && !h->finished && !h->db_kicked) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)(timeout_ms / 1000);
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if(until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while(!h->finished && !h->db_kicked)
			if(pthread_cond_timedwait(&h->db_wake, &h->mu, &until) == ETIMEDOUT)
				break;
	}
	h->db_kicked = false;
	done = h->finished;
	h->finished = NULL;
	pthread_mutex_unlock(&h->mu);
	return done;
}

/* Sets *flag (when not NULL) and wakes the database thread. */
static void kick_with(struct handoff *h, bool *flag)
{
	pthread_mutex_lock(&h->mu);
	if(flag)
		*flag = true;
	h->db_kicked = true;
	pthread_cond_signal(&h->db_wake);
	pthread_mutex_unlock(&h->mu);
}

static bool flag_read(struct handoff *h, const bool *flag)
{
	bool v;
	pthread_mutex_lock(&h->mu);
	v = *flag;
	pthread_mutex_unlock(&h->mu);
	return v;
}

void handoff_kick(struct handoff *h)
{
	kick_with(h, NULL);
}

void handoff_stop(struct handoff *h)
{
	kick_with(h, &h->stopping);
}

void handoff_over(struct handoff *h)
{
	kick_with(h, &h->transfers_over);
}

bool handoff_stopping(struct handoff *h)
{
	return flag_read(h, &h->stopping);
}

bool handoff_is_over(struct handoff *h)
{
	return flag_read(h, &h->transfers_over);
}
