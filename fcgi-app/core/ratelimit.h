/* Per-account request rate limit: a token bucket per account in each FastCGI process.
 * With N processes an account gets at most N x the configured rate in all; the point is to
 * keep one integrator's runaway loop from starving the others, not exact accounting. */
#ifndef WH_RATELIMIT_H
#define WH_RATELIMIT_H
#include <stdbool.h>

#define RATELIMIT_SLOTS 1024

struct ratelimit_slot {
	char account[24];
	double tokens;
	long long last_ms;
};

struct ratelimit {
	double rate;  /* tokens per second; 0 = no limit */
	double burst; /* bucket size */
	struct ratelimit_slot slots[RATELIMIT_SLOTS];
};

void ratelimit_init(struct ratelimit *rl, double rate, double burst);

/* Takes one token for account at now_ms. False when the bucket is empty; *retry_after_s
 * then says in how many whole seconds a token will be there (at least 1). An account whose
 * slot was taken by another starts again with a full bucket. */
bool ratelimit_take(struct ratelimit *rl, const char *account, long long now_ms, int *retry_after_s);

#endif
