/* Kept GET answers per process, checked against the host's shared write generations. */
#include "fcgi-app/core/answer_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/log.h"
#include "common/xalloc.h"

#define ANSWER_SLOTS 256                         /* answers kept per process, direct mapped by key hash */
#define ANSWER_BODY_MAX 16384                    /* a larger answer is not kept */
#define ANSWER_GEN_SLOTS 4096                    /* generations, by account id hash (a collision only costs misses) */
#define ANSWER_SHM_PREFIX "/linehook-answers-1-" /* and the uid: one table per user and host */

struct answer_gens {
	uint64_t gen[ANSWER_GEN_SLOTS];
};

struct answer_entry {
	char *key; /* NULL: empty */
	char *body;
	size_t len;
	uint64_t gen;
	long long due;
};

struct answer_cache {
	struct answer_gens *gens; /* NULL: no shared table, nothing kept */
	long long ttl_ms;
	struct answer_entry slot[ANSWER_SLOTS];
};

/* FNV-1a */
static uint32_t hash_of(const char *s)
{
	uint32_t h = 2166136261u;
	for(; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct answer_gens *gens_map(void)
{
	char name[64];
	void *map = MAP_FAILED;
	struct stat st;
	int fd;
	snprintf(name, sizeof(name), ANSWER_SHM_PREFIX "%u", (unsigned)getuid());
	fd = shm_open(name, O_RDWR | O_CREAT, 0600);
	if(fd < 0)
		goto fail;
	/* a new segment reads as zeros: every generation 0 */
	if(!fstat(fd, &st) && (size_t)st.st_size < sizeof(struct answer_gens) &&
	   ftruncate(fd, (off_t)sizeof(struct answer_gens)))
		goto fail;
	map = mmap(NULL, sizeof(struct answer_gens), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
fail:
	if(map == MAP_FAILED)
		log_warn("answer cache: shared table %s: %s; no answer is kept", name, strerror(errno));
	if(fd >= 0)
		close(fd);
	return map == MAP_FAILED ? NULL : map;
}

struct answer_cache *answer_cache_open(long long ttl_ms)
{
	struct answer_cache *cache = xcalloc(1, sizeof(*cache));
	cache->gens = gens_map();
	cache->ttl_ms = ttl_ms;
	return cache;
}

static void entry_clear(struct answer_entry *e)
{
	free(e->key);
	free(e->body);
	memset(e, 0, sizeof(*e));
}

void answer_cache_free(struct answer_cache *cache)
{
	if(!cache)
		return;
	for(size_t i = 0; i < ANSWER_SLOTS; i++)
		entry_clear(&cache->slot[i]);
	if(cache->gens)
		munmap(cache->gens, sizeof(*cache->gens));
	free(cache);
}

static uint64_t *gen_of(struct answer_cache *cache, const char *account_id)
{
	return &cache->gens->gen[hash_of(account_id) % ANSWER_GEN_SLOTS];
}

bool answer_cache_get(struct answer_cache *cache, const char *account_id, const char *uri, struct answer_ticket *t,
                      const char **body, size_t *len)
{
	struct answer_entry *e;
	int n;
	t->keep = false;
	if(!cache || !cache->gens || cache->ttl_ms <= 0 || !uri)
		return false;
	n = snprintf(t->key, sizeof(t->key), "%s\n%s", account_id, uri);
	if(n < 0 || (size_t)n >= sizeof(t->key))
		return false;
	/* read before the answer is built: a write committed after this read bumps past it */
	t->gen = __atomic_load_n(gen_of(cache, account_id), __ATOMIC_SEQ_CST);
	t->due = time_mono_ms() + cache->ttl_ms;
	t->keep = true;
	e = &cache->slot[hash_of(t->key) % ANSWER_SLOTS];
	if(!e->key || e->gen != t->gen || e->due <= time_mono_ms() || strcmp(e->key, t->key))
		return false;
	*body = e->body;
	*len = e->len;
	return true;
}

void answer_cache_put(struct answer_cache *cache, const struct answer_ticket *t, const char *body, size_t len)
{
	struct answer_entry *e;
	if(!cache || !t->keep || len > ANSWER_BODY_MAX)
		return;
	e = &cache->slot[hash_of(t->key) % ANSWER_SLOTS];
	entry_clear(e);
	e->key = xstrdup(t->key);
	e->body = xmalloc(len + 1);
	memcpy(e->body, body, len);
	e->body[len] = '\0';
	e->len = len;
	e->gen = t->gen;
	e->due = t->due;
}

void answer_cache_bump(struct answer_cache *cache, const char *account_id)
{
	if(cache && cache->gens && account_id[0])
		__atomic_add_fetch(gen_of(cache, account_id), 1, __ATOMIC_SEQ_CST);
}
