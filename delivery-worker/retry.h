/* Retry policy (SPEC §7): pure functions over the configured schedule, the attempt count,
 * the HTTP answer and a random source, unit-tested in tests/unit/test_retry.c. */
#ifndef WH_RETRY_H
#define WH_RETRY_H
#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"
#include "common/err.h"

#define RETRY_MAX_STEPS CONFIG_LIST_MAX

struct retry_schedule {
	long long delay_ms[RETRY_MAX_STEPS]; /* wait after the 1st, 2nd, ... failed attempt */
	size_t n;
};

/* Parses "5,300,1800" (seconds, each 1..31536000, 1..RETRY_MAX_STEPS entries; spaces allowed).
 * WH_ERR_CONFIG when malformed. */
enum wh_err retry_schedule_parse(const char *text, struct retry_schedule *out);

/* True when an answer counts as delivered: a 2xx status and no transport error. */
bool retry_is_success(long status_code, bool transport_error);

/* The wait after the sched_attempts-th failed scheduled attempt (1-based), with jitter of
 * ±20 %: rand01 is a uniform number in [0, 1). Returns -1 when the schedule is exhausted
 * (the delivery fails for good). */
long long retry_next_delay_ms(const struct retry_schedule *s, int sched_attempts, double rand01);

/* Applies a Retry-After value (seconds, as parsed from the header; < 0 when absent or not
 * understood) for 429 and 503 answers: the delay becomes max(delay, min(retry_after, 2 ×
 * delay)). Other statuses keep delay. */
long long retry_apply_retry_after(long long delay_ms, long status_code, long long retry_after_s);

/* Parses a Retry-After header value: delta-seconds ("120") or an HTTP date relative to
 * now_s (Unix seconds). Returns -1 when malformed; never negative otherwise. */
long long retry_after_parse(const char *value, long long now_s);

/* What an attempt's outcome means for its delivery. */
struct retry_attempt {
	bool success;            /* retry_is_success */
	long status_code;        /* 0 when no HTTP answer */
	long long retry_after_s; /* parsed Retry-After, -1 when absent */
	int sched_attempts;      /* scheduled attempts made before this one */
	bool manual;             /* resend/recover, not the schedule */
};

struct retry_decision {
	const char *status; /* "succeeded", "pending" or "failed" (static) */
	long long delay_ms; /* until the next attempt when pending, else -1 */
	int sched_inc;      /* added to the scheduled-attempt count: 1, or 0 for a manual attempt */
};

/* The delivery's next state. 410 fails it at once (the webhook is disabled by the caller).
 * A manual attempt does not move the schedule: when it fails the delivery waits as after
 * its last scheduled failure, or stays failed when the schedule was used up. rand01 as for
 * retry_next_delay_ms. */
struct retry_decision retry_decide(const struct retry_schedule *s, const struct retry_attempt *a, double rand01);

#endif
