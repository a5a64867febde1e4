/* Per-webhook holds that grow with quick turnover, in a chained hash table. */
#include "delivery-worker/holds.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/log.h"
#include "common/xalloc.h"

#define HOLDS_BUCKETS 1024
/* The window start of a webhook with no quick end yet: long past, whatever the clock. */
#define NO_WINDOW (LLONG_MIN / 4)

struct hold {
	char webhook_id[ID_LEN + 1];
	size_t held;
	long long win_start; /* the current window's start */
	size_t cur, prev;    /* quick ends in the current window, in the one before */
	size_t shown;        /* the limit last logged */
	struct hold *next;
};

struct holds {
	struct holds_opts o;
	struct hold *bucket[HOLDS_BUCKETS];
};

static size_t bucket_of(const char *id)
{
	return id_hash(id) % HOLDS_BUCKETS;
}

struct holds *holds_new(const struct holds_opts *o)
{
	struct holds *h = xcalloc(1, sizeof(*h));
	h->o = *o;
	if(!h->o.cap)
		h->o.cap = 1;
	if(h->o.max < h->o.cap)
		h->o.max = h->o.cap;
	if(h->o.window_ms <= 0)
		h->o.window_ms = 1;
	return h;
}

void holds_free(struct holds *h)
{
	if(!h)
		return;
	for(size_t i = 0; i < HOLDS_BUCKETS; i++)
		while(h->bucket[i]) {
			struct hold *e = h->bucket[i];
			h->bucket[i] = e->next;
			free(e);
		}
	free(h);
}

/* The webhook's entry, NULL when missing; *at is where it is (or would be) linked. */
static struct hold *find(const struct holds *h, const char *webhook_id, struct hold ***at)
{
	struct hold **e = (struct hold **)&h->bucket[bucket_of(webhook_id)];
	while(*e && strcmp((*e)->webhook_id, webhook_id))
		e = &(*e)->next;
	*at = e;
	return *e;
}

static struct hold *find_or_add(struct holds *h, const char *webhook_id, long long win_start)
{
	struct hold **at;
	struct hold *e = find(h, webhook_id, &at);
	if(!e) {
		e = *at = xcalloc(1, sizeof(*e));
		snprintf(e->webhook_id, sizeof(e->webhook_id), "%s", webhook_id);
		e->win_start = win_start;
		e->shown = h->o.cap;
	}
	return e;
}

/* Moves the windows on to now. */
static void roll(const struct holds *h, struct hold *e, long long now)
{
	long long w = h->o.window_ms;
	if(now - e->win_start >= 2 * w) {
		e->prev = e->cur = 0;
		e->win_start = now;
	} else if(now - e->win_start >= w) {
		e->prev = e->cur;
		e->cur = 0;
		e->win_start += w;
	}
}

static bool idle(const struct holds *h, const struct hold *e, long long now)
{
	return !e->held && now - e->win_start >= 2 * h->o.window_ms;
}

static void unlink_entry(const struct holds *h, struct hold **at)
{
	struct hold *gone = *at;
	if(gone->shown != h->o.cap)
		log_debug("webhook %s may hold %zu jobs (was %zu)", gone->webhook_id, h->o.cap, gone->shown);
	*at = gone->next;
	free(gone);
}

void holds_add(struct holds *h, const char *webhook_id, long delta)
{
	struct hold **at;
	struct hold *e = find(h, webhook_id, &at);
	if(!e)
		e = find_or_add(h, webhook_id, NO_WINDOW);
	e->held = (size_t)((long)e->held + delta);
}

size_t holds_held(const struct holds *h, const char *webhook_id)
{
	struct hold **at;
	const struct hold *e = find(h, webhook_id, &at);
	return e ? e->held : 0;
}

void holds_ended(struct holds *h, const char *webhook_id, long long duration_ms, long long now)
{
	struct hold *e;
	if(duration_ms >= h->o.quick_ms)
		return;
	e = find_or_add(h, webhook_id, now);
	roll(h, e, now);
	e->cur++;
}

void holds_waited_out(struct holds *h, const char *webhook_id)
{
	struct hold **at;
	struct hold *e = find(h, webhook_id, &at);
	if(e)
		e->prev = e->cur = 0;
}

static size_t limit_of(struct holds *h, struct hold *e, long long now)
{
	size_t quick, limit;
	if(!e)
		return h->o.cap;
	roll(h, e, now);
	quick = e->cur > e->prev ? e->cur : e->prev;
	limit = quick < h->o.max - h->o.cap ? h->o.cap + quick : h->o.max;
	if(limit != e->shown) {
		log_debug("webhook %s may hold %zu jobs (was %zu)", e->webhook_id, limit, e->shown);
		e->shown = limit;
	}
	return limit;
}

size_t holds_limit(struct holds *h, const char *webhook_id, long long now)
{
	struct hold **at;
	return limit_of(h, find(h, webhook_id, &at), now);
}

size_t holds_room(struct holds *h, const char *webhook_id, long long now)
{
	struct hold **at;
	struct hold *e = find(h, webhook_id, &at);
	size_t limit = limit_of(h, e, now), held = e ? e->held : 0;
	return held < limit ? limit - held : 0;
}

size_t holds_full(struct holds *h, long long now, struct buf *out)
{
	size_t n = 0;
	for(size_t i = 0; i < HOLDS_BUCKETS; i++)
		for(struct hold *e = h->bucket[i]; e; e = e->next)
			if(e->held >= h->o.cap && e->held >= limit_of(h, e, now)) {
				if(out->len)
					buf_adds(out, ",");
				buf_adds(out, e->webhook_id);
				n++;
			}
	return n;
}

void holds_sweep(struct holds *h, long long now)
{
	for(size_t i = 0; i < HOLDS_BUCKETS; i++) {
		struct hold **at = &h->bucket[i];
		while(*at) {
			if(idle(h, *at, now))
				unlink_entry(h, at);
			else
				at = &(*at)->next;
		}
	}
}
