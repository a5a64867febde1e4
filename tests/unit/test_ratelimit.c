/* The per-account token bucket. */
#include "fcgi-app/core/ratelimit.h"
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
