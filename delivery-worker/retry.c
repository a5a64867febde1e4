/* Retry policy: schedule parsing, jitter, Retry-After. */
#include "delivery-worker/retry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_MAX_DELAY_S 31536000LL

enum wh_err retry_schedule_parse(const char *text, struct retry_schedule *out)
{
	long long secs[RETRY_MAX_STEPS];
	int n = config_parse_int_list(text, 1, RETRY_MAX_DELAY_S, secs, RETRY_MAX_STEPS);
	memset(out, 0, sizeof(*out));
	if(n < 0)
		return WH_ERR_CONFIG;
	for(int i = 0; i < n; i++)
		out->delay_ms[i] = secs[i] * 1000;
	out->n = (size_t)n;
	return WH_OK;
}

bool retry_is_success(long status_code, bool transport_error)
{
	return !transport_error && status_code >= 200 && status_code <= 299;
}

long long retry_next_delay_ms(const struct retry_schedule *s, int sched_attempts, double rand01)
{
	double factor;
	if(sched_attempts < 1 || (size_t)sched_attempts > s->n)
		return -1;
	if(rand01 < 0 || rand01 >= 1)
		rand01 = 0.5;
	factor = 0.8 + 0.4 * rand01; /* [0.8, 1.2) */
	return (long long)((double)s->delay_ms[sched_attempts - 1] * factor);
}

long long retry_apply_retry_after(long long delay_ms, long status_code, long long retry_after_s)
{
	long long ra_ms;
	if((status_code != 429 && status_code != 503) || retry_after_s < 0)
		return delay_ms;
	ra_ms = retry_after_s > RETRY_MAX_DELAY_S ? RETRY_MAX_DELAY_S * 1000 : retry_after_s * 1000;
	if(ra_ms > 2 * delay_ms)
		ra_ms = 2 * delay_ms;
	return ra_ms > delay_ms ? ra_ms : delay_ms;
}

long long retry_after_parse(const char *value, long long now_s)
{
	struct tm tm;
	const char *end;
	char *numend;
	long long v;
	while(*value == ' ')
		value++;
	if(*value >= '0' && *value <= '9') {
		errno = 0;
		v = strtoll(value, &numend, 10);
		while(*numend == ' ' || *numend == '\r' || *numend == '\n')
			numend++;
		return errno || *numend ? -1 : v;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if(!end)
		return -1;
	v = (long long)timegm(&tm) - now_s;
	return v < 0 ? 0 : v;
}

struct retry_decision retry_decide(const struct retry_schedule *s, const struct retry_attempt *a, double rand01)
{
	struct retry_decision d = {"failed", -1, 1};
	if(a->manual && a->sched_attempts > 0)
		d.sched_inc = 0;
	if(a->success) {
		d.status = "succeeded";
		return d;
	}
	if(a->status_code == 410)
		return d;
	d.delay_ms = retry_next_delay_ms(s, a->sched_attempts + d.sched_inc, rand01);
	if(d.delay_ms < 0)
		return d;
	d.delay_ms = retry_apply_retry_after(d.delay_ms, a->status_code, a->retry_after_s);
	d.status = "pending";
	return d;
}
