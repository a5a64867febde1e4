/* Per-webhook counts in a chained hash table. */
#include "delivery-worker/epcount.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/xalloc.h"

#define EPCOUNT_BUCKETS 1024

struct ep {
	char webhook_id[ID_LEN + 1];
	size_t n;
	struct ep *next;
};

struct epcount {
	struct ep *bucket[EPCOUNT_BUCKETS];
};

static size_t slot(const char *id)
{
	return id_hash(id) % EPCOUNT_BUCKETS;
}

struct epcount *epcount_new(void)
{
	return xcalloc(1, sizeof(struct epcount));
}

void epcount_free(struct epcount *c)
{
	if(!c)
		return;
	for(size_t i = 0; i < EPCOUNT_BUCKETS; i++)
		while(c->bucket[i]) {
			struct ep *e = c->bucket[i];
			c->bucket[i] = e->next;
			free(e);
		}
	free(c);
}

void epcount_add(struct epcount *c, const char *webhook_id, long delta)
{
	struct ep **e = &c->bucket[slot(webhook_id)];
	while(*e && strcmp((*e)->webhook_id, webhook_id))
		e = &(*e)->next;
	if(!*e) {
		*e = xcalloc(1, sizeof(**e));
		snprintf((*e)->webhook_id, sizeof((*e)->webhook_id), "%s", webhook_id);
	}
	(*e)->n = (size_t)((long)(*e)->n + delta);
	if(!(*e)->n) {
		struct ep *gone = *e;
		*e = gone->next;
		free(gone);
	}
}

size_t epcount_get(const struct epcount *c, const char *webhook_id)
{
	for(const struct ep *e = c->bucket[slot(webhook_id)]; e; e = e->next)
		if(!strcmp(e->webhook_id, webhook_id))
			return e->n;
	return 0;
}

size_t epcount_at_least(const struct epcount *c, size_t cap, struct buf *out)
{
	size_t n = 0;
	for(size_t i = 0; i < EPCOUNT_BUCKETS; i++)
		for(const struct ep *e = c->bucket[i]; e; e = e->next)
			if(e->n >= cap) {
				if(out->len)
					buf_adds(out, ",");
				buf_adds(out, e->webhook_id);
				n++;
			}
	return n;
}
