/* Per-endpoint slots and waiting queues, in a chained hash table. */
#include "delivery-worker/slots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/xalloc.h"

#define SLOTS_BUCKETS 1024

struct hook {
	char webhook_id[ID_LEN + 1];
	size_t in_flight;
	long long turned;  /* monotonic ms an attempt last ended, or the first job began to wait */
	struct job *head;  /* waiting, oldest first */
	struct job **tail; /* &last->next */
	struct hook *next;
};

struct slots {
	size_t cap;
	struct hook *bucket[SLOTS_BUCKETS];
};

static size_t bucket_of(const char *id)
{
	return id_hash(id) % SLOTS_BUCKETS;
}

struct slots *slots_new(size_t cap)
{
	struct slots *s = xcalloc(1, sizeof(*s));
	s->cap = cap ? cap : 1;
	return s;
}

void slots_free(struct slots *s)
{
	if(!s)
		return;
	for(size_t i = 0; i < SLOTS_BUCKETS; i++)
		while(s->bucket[i]) {
			struct hook *h = s->bucket[i];
			s->bucket[i] = h->next;
			job_free_list(h->head);
			free(h);
		}
	free(s);
}

/* The webhook's entry; with create, made when missing (else NULL). *at is where it is linked. */
static struct hook *find(struct slots *s, const char *webhook_id, bool create, struct hook ***at)
{
	struct hook **h = &s->bucket[bucket_of(webhook_id)];
	while(*h && strcmp((*h)->webhook_id, webhook_id))
		h = &(*h)->next;
	if(!*h && create) {
		*h = xcalloc(1, sizeof(**h));
		snprintf((*h)->webhook_id, sizeof((*h)->webhook_id), "%s", webhook_id);
		(*h)->tail = &(*h)->head;
	}
	*at = h;
	return *h;
}

/* Drops an entry with nothing in flight and nothing waiting. */
static void tidy(struct hook **at)
{
	struct hook *h = *at;
	if(h && !h->in_flight && !h->head) {
		*at = h->next;
		free(h);
	}
}

bool slots_admit(struct slots *s, struct job *job)
{
	struct hook **at;
	struct hook *h = find(s, job->webhook_id, true, &at);
	if(h->in_flight < s->cap) {
		h->in_flight++;
		return true;
	}
	if(!h->head)
		h->turned = time_mono_ms();
	job->next = NULL;
	*h->tail = job;
	h->tail = &job->next;
	return false;
}

struct job *slots_end(struct slots *s, const char *webhook_id)
{
	struct hook **at;
	struct hook *h = find(s, webhook_id, false, &at);
	struct job *job;
	if(!h)
		return NULL;
	h->turned = time_mono_ms();
	if(!h->head) {
		if(h->in_flight)
			h->in_flight--;
		tidy(at);
		return NULL;
	}
	job = h->head; /* takes the freed slot: in_flight stays */
	h->head = job->next;
	if(!h->head)
		h->tail = &h->head;
	job->next = NULL;
	return job;
}

/* Moves the hook's waiting jobs to the front of *out. */
static void take_waiting(struct hook *h, struct job **out)
{
	*h->tail = *out;
	*out = h->head;
	h->head = NULL;
	h->tail = &h->head;
}

struct job *slots_shed(struct slots *s, long long now, long long idle_ms)
{
	struct job *out = NULL;
	for(size_t i = 0; i < SLOTS_BUCKETS; i++)
		for(struct hook *h = s->bucket[i]; h; h = h->next)
			if(h->head && now - h->turned >= idle_ms)
				take_waiting(h, &out);
	return out;
}

struct job *slots_take_all(struct slots *s)
{
	struct job *out = NULL;
	for(size_t i = 0; i < SLOTS_BUCKETS; i++)
		for(struct hook *h = s->bucket[i]; h; h = h->next)
			if(h->head)
				take_waiting(h, &out);
	return out;
}
