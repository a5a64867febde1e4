/* Rate-limited webhooks' turns (delivery-worker/pace.h): the share per worker, the catch-up
 * bound, jobs too late to start, and which webhooks a worker holds enough of. */
#include <stdio.h>

#include "delivery-worker/pace.h"
#include "tests/unit/test.h"

static struct job *paced(const char *webhook, long long rate, long long deadline)
{
	struct job *j = job_new();
	snprintf(j->webhook_id, sizeof(j->webhook_id), "%s", webhook);
	j->rate_limit = rate;
	j->deadline_mono = deadline;
	return j;
}

static size_t count(struct job *j)
{
	size_t n = 0;
	for(; j; j = j->next)
		n++;
	return n;
}

/* Jobs taken from t0 to t1 (inclusive) in steps of 1 ms. */
static size_t taken(struct pace *p, long long t0, long long t1, size_t workers)
{
	size_t n = 0;
	for(long long t = t0; t <= t1; t++) {
		struct job *late = NULL, *go = pace_take(p, t, workers, 0, &late);
		n += count(go);
		job_free_list(go);
		job_free_list(late);
	}
	return n;
}

TEST_SUITE(pace_turns_share_the_rate_between_workers)
{
	struct pace *p = pace_new();
	for(int i = 0; i < 100; i++)
		pace_add(p, paced("AAAAAAAAAAAAAAAAAAAA", 10, 1000000));
	/* 10/s over 2 workers: one turn every 200 ms; the first turn at once */
	CHECK(taken(p, 10000, 10000, 2) == 1);
	CHECK(taken(p, 10001, 10199, 2) == 0);
	CHECK(taken(p, 10200, 12199, 2) == 10);
	CHECK(pace_next_ms(p, 12199, 2) == 2);
	/* a worker that looked late catches up at most PACE_CATCH_UP_MS of turns */
	CHECK(taken(p, 14000, 14000, 1) == 1 + PACE_CATCH_UP_MS / 100);
	pace_free(p);
}

TEST_SUITE(pace_hold_keeps_turns_until_it_ends)
{
	struct pace *p = pace_new();
	struct job *late = NULL, *go;
	for(int i = 0; i < 10; i++)
		pace_add(p, paced("AAAAAAAAAAAAAAAAAAAA", 10, 1000000));
	pace_add(p, paced("BBBBBBBBBBBBBBBBBBBB", 10, 3000));
	pace_hold(p, 5000);
	/* held: no turn, but a job too late to start still leaves */
	go = pace_take(p, 1000, 1, 2500, &late);
	CHECK(go == NULL && count(late) == 1 && late->deadline_mono == 3000);
	job_free_list(late);
	CHECK(taken(p, 1001, 4999, 1) == 0);
	CHECK(pace_next_ms(p, 4000, 1) == 1000);
	/* then the first turn at once and one every 100 ms, no catch-up burst for the hold */
	CHECK(taken(p, 5000, 5000, 1) == 1);
	CHECK(taken(p, 5001, 5099, 1) == 0);
	CHECK(taken(p, 5100, 5499, 1) == 4);
	pace_free(p);
}

static size_t held_a(void *ctx, const char *webhook_id)
{
	(void)ctx;
	return webhook_id[0] == 'A' ? 2 : 0;
}

TEST_SUITE(pace_late_jobs_and_full_webhooks)
{
	struct pace *p = pace_new();
	struct job *late = NULL, *go;
	struct buf full;
	pace_add(p, paced("AAAAAAAAAAAAAAAAAAAA", 1000, 5000));
	pace_add(p, paced("AAAAAAAAAAAAAAAAAAAA", 1000, 9000));
	/* the first has less than min_left before its deadline: late, without using a turn */
	go = pace_take(p, 2000, 1, 4000, &late);
	CHECK(count(late) == 1 && late->deadline_mono == 5000);
	CHECK(count(go) == 1 && go->deadline_mono == 9000);
	job_free_list(go);
	job_free_list(late);
	CHECK(pace_next_ms(p, 2000, 1) == -1);
	/* A (1/s) may hold 1 job over a 1 s window and holds 2: full; B (1000/s) may hold up to the
	 * cap of 16 and holds none */
	pace_add(p, paced("BBBBBBBBBBBBBBBBBBBB", 1000, 9000));
	pace_add(p, paced("AAAAAAAAAAAAAAAAAAAA", 1, 9000));
	buf_init(&full, 1024);
	pace_full(p, 1, 1000, 16, held_a, NULL, &full);
	CHECK_STR(buf_str(&full), "AAAAAAAAAAAAAAAAAAAA");
	buf_release(&full);
	go = pace_take_all(p);
	CHECK(count(go) == 2);
	job_free_list(go);
	pace_free(p);
}
