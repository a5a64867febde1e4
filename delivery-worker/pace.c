/* Rate-limited webhooks' queues and turns. */
#include "delivery-worker/pace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct pace_hook {
	char webhook_id[ID_LEN + 1];
	long long rate;    /* per second, all workers together (the latest job's) */
	double next_turn;  /* monotonic ms of the next turn; < 0: the first job's turn is now */
	struct job *head;  /* waiting, oldest first */
	struct job **tail; /* &last->next */
	struct pace_hook *next;
};

struct pace {
	struct pace_hook *hooks;
	long long hold_until; /* monotonic ms before which no turn comes */
};

struct pace *pace_new(void)
{
	return xcalloc(1, sizeof(struct pace));
}

void pace_free(struct pace *p)
{
	if(!p)
		return;
	while(p->hooks) {
		struct pace_hook *h = p->hooks;
		p->hooks = h->next;
		job_free_list(h->head);
		free(h);
	}
	free(p);
}

static double interval_ms(const struct pace_hook *h, size_t workers)
{
	return 1000.0 * (double)(workers ? workers : 1) / (double)h->rate;
}

void pace_add(struct pace *p, struct job *job)
{
	struct pace_hook *h = p->hooks;
	while(h && strcmp(h->webhook_id, job->webhook_id))
		h = h->next;
	if(!h) {
		h = xcalloc(1, sizeof(*h));
		snprintf(h->webhook_id, sizeof(h->webhook_id), "%s", job->webhook_id);
		h->tail = &h->head;
		h->next_turn = -1;
		h->next = p->hooks;
		p->hooks = h;
	}
	h->rate = job->rate_limit;
	job->next = NULL;
	*h->tail = job;
	h->tail = &job->next;
}

void pace_hold(struct pace *p, long long until_mono)
{
	p->hold_until = until_mono;
}

static struct job *pop(struct pace_hook *h)
{
	struct job *job = h->head;
	h->head = job->next;
	if(!h->head)
		h->tail = &h->head;
	job->next = NULL;
	return job;
}

/* Appends job to the list whose last next pointer is *end. */
static void push(struct job ***end, struct job *job)
{
	**end = job;
	*end = &job->next;
}

/* The first turn is now; a turn missed by more than PACE_CATCH_UP_MS moves up to then. */
static void catch_up(struct pace_hook *h, double now)
{
	if(h->next_turn < 0)
		h->next_turn = now;
	else if(h->next_turn < now - PACE_CATCH_UP_MS)
		h->next_turn = now - PACE_CATCH_UP_MS;
}

struct job *pace_take(struct pace *p, long long now_mono, size_t workers, long long min_left_ms, struct job **late)
{
	struct job *out = NULL, **end = &out;
	bool held = now_mono < p->hold_until;
	for(struct pace_hook *h = p->hooks; h; h = h->next) {
		double now = (double)now_mono;
		if(!held) /* held, a first turn stays unset: no catch-up burst when the hold ends */
			catch_up(h, now);
		while(h->head) {
			if(h->head->deadline_mono - now_mono < min_left_ms) {
				struct job *job = pop(h);
				job->next = *late;
				*late = job;
			} else if(!held && h->next_turn <= now) {
				push(&end, pop(h));
				h->next_turn += interval_ms(h, workers);
			} else {
				break;
			}
		}
	}
	return out;
}

long long pace_next_ms(const struct pace *p, long long now_mono, size_t workers)
{
	long long best = -1;
	(void)workers;
	for(const struct pace_hook *h = p->hooks; h; h = h->next) {
		long long wait;
		if(!h->head)
			continue;
		wait = (long long)h->next_turn - now_mono + 1;
		if(wait < p->hold_until - now_mono)
			wait = p->hold_until - now_mono;
		if(wait < 0)
			wait = 0;
		if(best < 0 || wait < best)
			best = wait;
	}
	return best;
}

struct job *pace_take_all(struct pace *p)
{
	struct job *out = NULL, **end = &out;
	for(struct pace_hook *h = p->hooks; h; h = h->next)
		while(h->head)
			push(&end, pop(h));
	return out;
}

void pace_full(const struct pace *p, size_t workers, long long window_ms, size_t cap,
               size_t (*held)(void *ctx, const char *webhook_id), void *ctx, struct buf *out)
{
	for(const struct pace_hook *h = p->hooks; h; h = h->next) {
		double share = (double)window_ms / interval_ms(h, workers);
		size_t most = share < 1 ? 1 : (size_t)share;
		if(most > cap)
			most = cap;
		if(held(ctx, h->webhook_id) >= most) {
			if(out->len)
				buf_adds(out, ",");
			buf_adds(out, h->webhook_id);
		}
	}
}
