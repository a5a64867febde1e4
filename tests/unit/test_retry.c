/* Retry policy: schedule parsing, jitter bounds, exhaustion, Retry-After clamping. */
#include "delivery-worker/retry.h"
#include "tests/unit/test.h"

TEST_SUITE(retry_schedule_parsing)
{
	struct retry_schedule s;
	CHECK(retry_schedule_parse("5,300,1800,7200,18000,36000,36000", &s) == WH_OK);
	CHECK(s.n == 7 && s.delay_ms[0] == 5000 && s.delay_ms[6] == 36000000);
	CHECK(retry_schedule_parse(" 1, 2 ,3", &s) == WH_OK && s.n == 3 && s.delay_ms[2] == 3000);
	CHECK(retry_schedule_parse("", &s) == WH_ERR_CONFIG);
	CHECK(retry_schedule_parse("5,", &s) == WH_ERR_CONFIG);
	CHECK(retry_schedule_parse("5,,6", &s) == WH_ERR_CONFIG);
	CHECK(retry_schedule_parse("-5", &s) == WH_ERR_CONFIG);
	CHECK(retry_schedule_parse("5x", &s) == WH_ERR_CONFIG);
	CHECK(retry_schedule_parse("99999999999", &s) == WH_ERR_CONFIG);
}

TEST_SUITE(retry_jitter_and_exhaustion)
{
	struct retry_schedule s;
	CHECK(retry_schedule_parse("5,300,1800,7200,18000,36000,36000", &s) == WH_OK);
	CHECK(retry_next_delay_ms(&s, 1, 0.0) == 4000); /* -20 % */
	CHECK(retry_next_delay_ms(&s, 1, 0.5) == 5000);
	CHECK(retry_next_delay_ms(&s, 1, 0.999999) <= 6000 && retry_next_delay_ms(&s, 1, 0.999999) > 5990);
	CHECK(retry_next_delay_ms(&s, 2, 0.5) == 300000);
	CHECK(retry_next_delay_ms(&s, 7, 0.0) == 28800000);
	for(int i = 0; i < 100; i++) {
		double r = i / 100.0;
		long long d = retry_next_delay_ms(&s, 3, r);
		CHECK(d >= 1440000 && d <= 2160000); /* 1800 s ± 20 % */
	}
	CHECK(retry_next_delay_ms(&s, 8, 0.5) == -1); /* after the last retry: failed for good */
	CHECK(retry_next_delay_ms(&s, 0, 0.5) == -1);
}

TEST_SUITE(retry_success_and_retry_after)
{
	CHECK(retry_is_success(200, false));
	CHECK(retry_is_success(204, false));
	CHECK(retry_is_success(299, false));
	CHECK(!retry_is_success(200, true));
	CHECK(!retry_is_success(302, false)); /* redirects are failures */
	CHECK(!retry_is_success(410, false));
	CHECK(!retry_is_success(500, false));
	CHECK(!retry_is_success(0, true));
	/* honoured within [delay, 2 x delay], only for 429 and 503 */
	CHECK(retry_apply_retry_after(5000, 429, 7) == 7000);
	CHECK(retry_apply_retry_after(5000, 503, 60) == 10000);
	CHECK(retry_apply_retry_after(5000, 429, 1) == 5000);
	CHECK(retry_apply_retry_after(5000, 500, 7) == 5000);
	CHECK(retry_apply_retry_after(5000, 429, -1) == 5000);
	CHECK(retry_apply_retry_after(5000, 429, 999999999999LL) == 10000);
	CHECK(retry_after_parse("120", 0) == 120);
	CHECK(retry_after_parse(" 3", 0) == 3);
	CHECK(retry_after_parse("3s", 0) == -1);
	CHECK(retry_after_parse("soon", 0) == -1);
	CHECK(retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470LL) == 10);
	CHECK(retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490LL) == 0);
}

TEST_SUITE(retry_decisions)
{
	struct retry_schedule s;
	struct retry_decision d;
	CHECK(retry_schedule_parse("5,300", &s) == WH_OK);
	/* first attempt fails: pending after the first delay, one scheduled attempt more */
	d = retry_decide(&s, &(struct retry_attempt){false, 500, -1, 0, false}, 0.5);
	CHECK_STR(d.status, "pending");
	CHECK(d.delay_ms == 5000 && d.sched_inc == 1);
	d = retry_decide(&s, &(struct retry_attempt){false, 0, -1, 1, false}, 0.5);
	CHECK(!strcmp(d.status, "pending") && d.delay_ms == 300000);
	/* the last retry fails: failed for good */
	d = retry_decide(&s, &(struct retry_attempt){false, 500, -1, 2, false}, 0.5);
	CHECK(!strcmp(d.status, "failed") && d.delay_ms == -1 && d.sched_inc == 1);
	d = retry_decide(&s, &(struct retry_attempt){true, 204, -1, 2, false}, 0.5);
	CHECK(!strcmp(d.status, "succeeded") && d.delay_ms == -1);
	/* 410 fails at once, whatever is left of the schedule */
	d = retry_decide(&s, &(struct retry_attempt){false, 410, -1, 0, false}, 0.5);
	CHECK(!strcmp(d.status, "failed") && d.delay_ms == -1);
	/* Retry-After clamped to [delay, 2 x delay] */
	d = retry_decide(&s, &(struct retry_attempt){false, 429, 7, 0, false}, 0.5);
	CHECK(!strcmp(d.status, "pending") && d.delay_ms == 7000);
	d = retry_decide(&s, &(struct retry_attempt){false, 503, 3600, 0, false}, 0.5);
	CHECK(d.delay_ms == 10000);
	/* manual attempts don't move the schedule */
	d = retry_decide(&s, &(struct retry_attempt){false, 500, -1, 3, true}, 0.5);
	CHECK(!strcmp(d.status, "failed") && d.sched_inc == 0); /* a dead letter stays failed */
	d = retry_decide(&s, &(struct retry_attempt){false, 500, -1, 1, true}, 0.5);
	CHECK(!strcmp(d.status, "pending") && d.delay_ms == 5000 && d.sched_inc == 0);
	d = retry_decide(&s, &(struct retry_attempt){true, 200, -1, 3, true}, 0.5);
	CHECK(!strcmp(d.status, "succeeded") && d.sched_inc == 0);
}
