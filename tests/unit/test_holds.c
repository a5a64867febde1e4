/* Per-webhook holds (delivery-worker/holds.h) and the transfer thread's shedding of a stalled
 * webhook's waiting jobs (delivery-worker/slots.h). */
#include <stdio.h>

#include "delivery-worker/holds.h"
#include "delivery-worker/slots.h"
#include "tests/unit/test.h"

#define FAST "AAAAAAAAAAAAAAAAAAAA"
#define HANG "BBBBBBBBBBBBBBBBBBBB"

static struct holds *four_to_sixteen(void)
{
	struct holds_opts o = {4, 16, 250, 1000};
	return holds_new(&o);
}

TEST_SUITE(holds_grow_with_quick_ends_up_to_the_maximum)
{
	struct holds *h = four_to_sixteen();
	holds_add(h, FAST, 4);
	CHECK(holds_limit(h, FAST, 1000) == 4);
	CHECK(holds_room(h, FAST, 1000) == 0);
	for(int i = 0; i < 5; i++)
		holds_ended(h, FAST, 3, 1000 + i);
	CHECK(holds_limit(h, FAST, 1010) == 9);
	CHECK(holds_room(h, FAST, 1010) == 5);
	/* the next window still counts the last full one */
	CHECK(holds_limit(h, FAST, 1300) == 9);
	for(int i = 0; i < 40; i++)
		holds_ended(h, FAST, 3, 1300 + i);
	CHECK(holds_limit(h, FAST, 1340) == 16); /* never past the maximum */
	/* no quick end for two windows: back to cap */
	CHECK(holds_limit(h, FAST, 1900) == 4);
	holds_free(h);
}

TEST_SUITE(holds_stay_at_cap_for_slow_and_waited_out_endpoints)
{
	struct holds *h = four_to_sixteen();
	struct buf full;
	buf_init(&full, BUF_MAX_DEFAULT);
	holds_add(h, HANG, 4);
	for(int i = 0; i < 4; i++)
		holds_ended(h, HANG, 15000, 20000); /* timeouts: not quick */
	CHECK(holds_limit(h, HANG, 20000) == 4);
	CHECK(holds_full(h, 20000, &full) == 1 && !strcmp(buf_str(&full), HANG));
	/* a grown hold whose jobs waited too long starts again from cap */
	holds_add(h, FAST, 4);
	for(int i = 0; i < 8; i++)
		holds_ended(h, FAST, 1, 20000);
	CHECK(holds_limit(h, FAST, 20000) == 12);
	holds_waited_out(h, FAST);
	CHECK(holds_limit(h, FAST, 20001) == 4);
	buf_release(&full);
	holds_free(h);
}

TEST_SUITE(holds_sweep_forgets_idle_webhooks_only)
{
	struct holds *h = four_to_sixteen();
	holds_add(h, FAST, 1);
	holds_ended(h, FAST, 1, 5000);
	holds_add(h, FAST, -1);
	holds_add(h, HANG, 2);
	holds_sweep(h, 5100); /* a quick end in the window: kept */
	CHECK(holds_limit(h, FAST, 5100) == 5);
	holds_sweep(h, 6000);
	CHECK(holds_limit(h, FAST, 6000) == 4);
	CHECK(holds_held(h, HANG) == 2); /* held: kept */
	holds_free(h);
}

static struct job *job_of(const char *webhook)
{
	struct job *j = job_new();
	snprintf(j->webhook_id, sizeof(j->webhook_id), "%s", webhook);
	return j;
}

TEST_SUITE(slots_shed_the_waiting_jobs_of_a_stalled_webhook)
{
	struct slots *s = slots_new(2);
	struct job *in[2], *shed, *next;
	long long now = time_mono_ms();
	for(int i = 0; i < 2; i++) {
		in[i] = job_of(HANG);
		CHECK(slots_admit(s, in[i]));
	}
	for(int i = 0; i < 3; i++)
		CHECK(!slots_admit(s, job_of(HANG)));
	/* within the idle time nothing goes; past it every waiting job does */
	CHECK(slots_shed(s, now, 60000) == NULL);
	shed = slots_shed(s, now + 120000, 60000);
	CHECK(shed && shed->next && shed->next->next && !shed->next->next->next); /* all 3 */
	job_free_list(shed);
	/* an attempt that ends starts the clock again, and with nothing waiting there is
	 * nothing to shed */
	CHECK(!slots_admit(s, job_of(HANG)));
	next = slots_end(s, HANG);
	CHECK(next != NULL);
	CHECK(slots_shed(s, now + 120000, 60000) == NULL);
	job_free(next);
	for(int i = 0; i < 2; i++)
		job_free(in[i]);
	slots_free(s);
}
