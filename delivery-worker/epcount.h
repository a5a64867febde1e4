/* Counts per webhook (endpoint): how many of its deliveries a worker holds. A small chained
 * hash table keyed by webhook id, so the cost stays flat with thousands of endpoints. Not
 * thread-safe: one owner. */
#ifndef WH_EPCOUNT_H
#define WH_EPCOUNT_H
#include <stddef.h>

#include "common/buf.h"

struct epcount;

struct epcount *epcount_new(void);
/* Frees the table. NULL-safe. */
void epcount_free(struct epcount *c);

/* Adds delta (may be negative) to the webhook's count; an entry at 0 is removed. */
void epcount_add(struct epcount *c, const char *webhook_id, long delta);
size_t epcount_get(const struct epcount *c, const char *webhook_id);
/* Appends to out the comma-separated ids of webhooks counted at least cap (the form
 * FIND_IN_SET reads); returns how many. */
size_t epcount_at_least(const struct epcount *c, size_t cap, struct buf *out);

#endif
