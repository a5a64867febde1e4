/* Token buckets in shared memory: one table per host and configuration. */
#include "fcgi-app/core/ratelimit_shm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "fcgi-app/core/ratelimit.h"

#define RATELIMIT_SHM_MAGIC 0x6c68726cu /* "lhrl" */

struct ratelimit_segment {
	uint32_t magic; /* set last by the process that initialises the segment */
	pthread_mutex_t lock;
	struct ratelimit table;
};

struct ratelimit_shared {
	struct ratelimit_segment *seg;
	char name[RATELIMIT_SHM_NAME_LEN];
	int fd; /* holds this user's read lock on the whole segment until close */
};

void ratelimit_shared_name(const struct config *cfg, char out[RATELIMIT_SHM_NAME_LEN])
{
	char text[2048], hash[65];
	snprintf(text, sizeof(text), "%s\n%s\n%lld\n%s\n%lld\n%lld", config_str(cfg, CFG_DB_SOCKET),
	         config_str(cfg, CFG_DB_HOST), config_int(cfg, CFG_DB_PORT), config_str(cfg, CFG_DB_NAME),
	         config_int(cfg, CFG_RATE_LIMIT_PER_SECOND), config_int(cfg, CFG_RATE_LIMIT_BURST));
	crypto_sha256_hex(text, strlen(text), hash);
	snprintf(out, RATELIMIT_SHM_NAME_LEN, "/linehook-rl-%.16s", hash);
}

/* The first process to take the file lock on an empty segment sizes and initialises it;
 * the others wait on the lock and find the magic set. */
static int segment_init(int fd, struct ratelimit_segment **out, double rate, double burst)
{
	pthread_mutexattr_t attr;
	struct stat st;
	void *map;
	if(fstat(fd, &st))
		return -1;
	if(st.st_size == 0 && ftruncate(fd, (off_t)sizeof(struct ratelimit_segment)))
		return -1;
	if(st.st_size != 0 && (size_t)st.st_size != sizeof(struct ratelimit_segment)) {
		errno = EINVAL; /* another build's layout */
		return -1;
	}
	map = mmap(NULL, sizeof(struct ratelimit_segment), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if(map == MAP_FAILED)
		return -1;
	*out = map;
	if((*out)->magic == RATELIMIT_SHM_MAGIC)
		return 0;
	ratelimit_init(&(*out)->table, rate, burst);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&(*out)->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	__atomic_store_n(&(*out)->magic, RATELIMIT_SHM_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

/* A lock on the whole segment, on this open file description (an OFD lock: a process's other
 * descriptors of the file don't release it, and it goes with the process when it dies). */
static int segment_lock(int fd, short type, bool wait)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET};
	int rc;
	do
		rc = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
	while(rc && wait && errno == EINTR);
	return rc;
}

/* Whether name still names the object fd has open: a closing user may have removed it while
 * this one waited for its read lock. */
static bool segment_named(int fd, const char *name)
{
	struct stat mine, named;
	int again = shm_open(name, O_RDONLY, 0);
	bool same;
	if(again < 0)
		return false;
	same = !fstat(fd, &mine) && !fstat(again, &named) && mine.st_ino == named.st_ino && mine.st_dev == named.st_dev;
	close(again);
	return same;
}

/* Opens the named segment with a read lock held: every user holds one while it maps the
 * table, so the last one to close can tell it is the last and remove the name. */
static int segment_open_locked(const char *name)
{
	for(int tries = 0; tries < 8; tries++) {
		int fd = shm_open(name, O_RDWR | O_CREAT, 0600);
		if(fd < 0)
			return -1;
		if(segment_lock(fd, F_RDLCK, true)) {
			close(fd);
			return -1;
		}
		if(segment_named(fd, name))
			return fd;
		close(fd); /* removed by its last user meanwhile: open the new one */
	}
	errno = EAGAIN;
	return -1;
}

struct ratelimit_shared *ratelimit_shared_open(const char *name, double rate, double burst)
{
	struct ratelimit_segment *seg = NULL;
	struct ratelimit_shared *rs = NULL;
	int fd = segment_open_locked(name), rc;
	if(fd < 0) {
		log_warn("rate limit: shm_open %s: %s; each process keeps its own buckets", name, strerror(errno));
		return NULL;
	}
	rc = flock(fd, LOCK_EX);
	if(!rc)
		rc = segment_init(fd, &seg, rate, burst);
	if(rc)
		log_warn("rate limit: shared table %s: %s; each process keeps its own buckets", name, strerror(errno));
	flock(fd, LOCK_UN);
	if(rc) {
		if(seg)
			munmap(seg, sizeof(*seg));
		close(fd);
		return NULL;
	}
	rs = xmalloc(sizeof(*rs));
	rs->seg = seg;
	rs->fd = fd;
	snprintf(rs->name, sizeof(rs->name), "%s", name);
	return rs;
}

bool ratelimit_shared_take(struct ratelimit_shared *rs, const char *account, long long now_ms, int *retry_after_s)
{
	bool ok;
	int rc = pthread_mutex_lock(&rs->seg->lock);
	if(rc == EOWNERDEAD) /* a process died holding it: the table is whole, each take is small */
		pthread_mutex_consistent(&rs->seg->lock);
	else if(rc) {
		log_err("rate limit: lock: %s", strerror(rc));
		*retry_after_s = 0;
		return true;
	}
	ok = ratelimit_take(&rs->seg->table, account, now_ms, retry_after_s);
	pthread_mutex_unlock(&rs->seg->lock);
	return ok;
}

void ratelimit_shared_close(struct ratelimit_shared *rs)
{
	if(!rs)
		return;
	munmap(rs->seg, sizeof(*rs->seg));
	/* The write lock is had only when no other user holds its read lock: this is the last
	 * one, so the name goes and a stopped stack leaves nothing in /dev/shm. An opener
	 * waiting for its read lock meanwhile sees the name gone and opens a new segment. */
	if(!segment_lock(rs->fd, F_WRLCK, false))
		shm_unlink(rs->name);
	close(rs->fd);
	free(rs);
}

void ratelimit_shared_unlink(const char *name)
{
	shm_unlink(name);
}
