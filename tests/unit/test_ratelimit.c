/* The per-account token bucket, and its table shared between processes. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fcgi-app/core/ratelimit.h"
#include "fcgi-app/core/ratelimit_shm.h"
#include "tests/unit/test.h"

static struct ratelimit rl;

TEST_SUITE(ratelimit_bucket)
{
	int retry = 0, ok = 0;
	ratelimit_init(&rl, 2, 3);
	for(int i = 0; i < 10; i++)
		ok += ratelimit_take(&rl, "AAAAAAAAAAAAAAAAAAAA", 1000, &retry);
	CHECK(ok == 3);    /* the burst */
	CHECK(retry == 1); /* one token needs half a second: answer 1 s */
	CHECK(ratelimit_take(&rl, "BBBBBBBBBBBBBBBBBBBB", 1000, &retry)); /* accounts are separate */
	CHECK(!ratelimit_take(&rl, "AAAAAAAAAAAAAAAAAAAA", 1400, &retry));
	CHECK(ratelimit_take(&rl, "AAAAAAAAAAAAAAAAAAAA", 1500, &retry)); /* 2/s refills one in 500 ms */
	CHECK(!ratelimit_take(&rl, "AAAAAAAAAAAAAAAAAAAA", 1500, &retry));
	ok = 0;
	for(int i = 0; i < 10; i++)
		ok += ratelimit_take(&rl, "AAAAAAAAAAAAAAAAAAAA", 100000, &retry);
	CHECK(ok == 3); /* a long pause refills up to the burst, not beyond */
	ratelimit_init(&rl, 0.5, 1);
	CHECK(ratelimit_take(&rl, "CCCCCCCCCCCCCCCCCCCC", 0, &retry));
	CHECK(!ratelimit_take(&rl, "CCCCCCCCCCCCCCCCCCCC", 0, &retry) && retry == 3); /* 2 s to refill, +1 */
	ratelimit_init(&rl, 0, 0);
	for(int i = 0; i < 1000; i++)
		CHECK(ratelimit_take(&rl, "DDDDDDDDDDDDDDDDDDDD", 0, &retry)); /* 0 = no limit */
}

/* Two processes taking from one account's bucket in the shared table get the burst between
 * them, not each; a second mapping in the same process sees the same table. */
TEST_SUITE(ratelimit_shared_between_processes)
{
	char name[64];
	struct ratelimit_shared *rs, *again;
	int retry = 0, ok = 0, status = 0, child_ok;
	pid_t pid;
	snprintf(name, sizeof(name), "/linehook-rl-unit-%d", (int)getpid());
	rs = ratelimit_shared_open(name, 1, 10);
	CHECK(rs != NULL);
	if(!rs)
		return;
	pid = fork();
	if(pid == 0) {
		int n = 0;
		for(int i = 0; i < 8; i++)
			n += ratelimit_shared_take(rs, "EEEEEEEEEEEEEEEEEEEE", 5000, &retry);
		_exit(n);
	}
	for(int i = 0; i < 8; i++)
		ok += ratelimit_shared_take(rs, "EEEEEEEEEEEEEEEEEEEE", 5000, &retry);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	child_ok = WEXITSTATUS(status);
	CHECK(ok + child_ok == 10); /* the burst, shared */
	again = ratelimit_shared_open(name, 1, 10);
	CHECK(again && !ratelimit_shared_take(again, "EEEEEEEEEEEEEEEEEEEE", 5000, &retry) && retry >= 1);
	CHECK(again && ratelimit_shared_take(again, "EEEEEEEEEEEEEEEEEEEE", 6000, &retry)); /* refilled at 1/s */
	ratelimit_shared_close(again);
	ratelimit_shared_close(rs);
	ratelimit_shared_unlink(name);
}

static bool shm_exists(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0);
	if(fd >= 0)
		close(fd);
	return fd >= 0;
}

/* The last user to close removes the segment; one that closes while others (another process,
 * or another handle) still map it leaves it, and one killed without closing counts for none. */
TEST_SUITE(ratelimit_shared_last_close_removes)
{
	char name[64];
	struct ratelimit_shared *a, *b;
	int status = 0, retry = 0;
	pid_t pid;
	snprintf(name, sizeof(name), "/linehook-rl-unit-last-%d", (int)getpid());
	a = ratelimit_shared_open(name, 1, 10);
	b = ratelimit_shared_open(name, 1, 10);
	CHECK(a && b);
	if(!a || !b)
		goto out;
	ratelimit_shared_close(a);
	a = NULL;
	CHECK(shm_exists(name)); /* b still has it */
	pid = fork();
	if(pid == 0) {
		/* another process opens it and dies without closing: its lock goes with it */
		struct ratelimit_shared *c = ratelimit_shared_open(name, 1, 10);
		_exit(c ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(ratelimit_shared_take(b, "FFFFFFFFFFFFFFFFFFFF", 0, &retry)); /* still the same table */
	ratelimit_shared_close(b);
	b = NULL;
	CHECK(!shm_exists(name)); /* b was the last */
	/* a new open after the removal gets a fresh, working table */
	a = ratelimit_shared_open(name, 1, 10);
	CHECK(a && ratelimit_shared_take(a, "FFFFFFFFFFFFFFFFFFFF", 0, &retry));
	ratelimit_shared_close(a);
	a = NULL;
	CHECK(!shm_exists(name));
out:
	ratelimit_shared_close(a);
	ratelimit_shared_close(b);
	ratelimit_shared_unlink(name);
}
