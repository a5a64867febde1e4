/* GET answers kept per FastCGI process for at most read_cache_ms (off by default), and the
 * per-account write generations that every process of a host shares in a POSIX shared
 * memory segment, so that a write through any process of the host is seen at once.
 *
 * What a kept answer can miss, for at most read_cache_ms: changes that no API process of
 * this host committed (the delivery worker's stats, health times and disabling, a write
 * through another host's API, SQL typed by hand). Every write transaction of the API
 * (core/tx.c) marks its account's generation after its COMMIT, whatever the outcome; a
 * lookup checks the generation it read before the answer was built, so an answer read
 * before a write is never served after that write's answer went out.
 *
 *   struct answer_ticket t;
 *   if(answer_cache_get(cache, account_id, uri, &t, &body, &len))
 *       ... answer body (borrowed) ...
 *   else
 *       ... build the answer from the database, send it, answer_cache_put(cache, &t, text, n);
 */
#ifndef WH_ANSWER_CACHE_H
#define WH_ANSWER_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct answer_cache;

/* The key of an answer: account id, a newline, the request URI. Longer URIs are not kept. */
#define ANSWER_KEY_MAX 512

/* What a lookup that missed hands to answer_cache_put. */
struct answer_ticket {
	bool keep; /* false: this answer is not to be kept */
	char key[ANSWER_KEY_MAX + 1];
	uint64_t gen;  /* the account's generation, read before the answer is built */
	long long due; /* monotonic ms after which the answer is too old */
};

/* Maps the host's generation table (creating it when this process is the first) and keeps
 * answers for ttl_ms (0: none; the process still marks its writes). New, never NULL; when
 * the table can't be had (logged) nothing is kept. */
struct answer_cache *answer_cache_open(long long ttl_ms);
/* NULL-safe; the segment stays for the other processes. */
void answer_cache_free(struct answer_cache *cache);

/* True with *body and *len (borrowed until the next call) when an answer for
 * (account_id, uri) is kept, younger than ttl_ms and not older than the account's last
 * write on this host; else false with t filled for answer_cache_put. cache may be NULL. */
bool answer_cache_get(struct answer_cache *cache, const char *account_id, const char *uri, struct answer_ticket *t,
                      const char **body, size_t *len);
/* Keeps body (copied) under t; does nothing when t says not to or the body is too large. */
void answer_cache_put(struct answer_cache *cache, const struct answer_ticket *t, const char *body, size_t len);
/* Marks a write of account_id's data: every process of the host stops serving the
 * account's kept answers. Call after COMMIT, whatever its outcome. cache may be NULL. */
void answer_cache_bump(struct answer_cache *cache, const char *account_id);

#endif
