/* Token buckets per account, in a fixed table indexed by a hash of the account id. */
#include "fcgi-app/core/ratelimit.h"

#include <stdio.h>
#include <string.h>

void ratelimit_init(struct ratelimit *rl, double rate, double burst)
{
	memset(rl, 0, sizeof(*rl));
	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
}

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u; /* FNV-1a */
	for(; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

bool ratelimit_take(struct ratelimit *rl, const char *account, long long now_ms, int *retry_after_s)
{
	struct ratelimit_slot *slot;
	double missing;
	*retry_after_s = 0;
	if(rl->rate <= 0)
		return true;
	slot = &rl->slots[hash(account) % RATELIMIT_SLOTS];
	if(strcmp(slot->account, account)) {
		snprintf(slot->account, sizeof(slot->account), "%s", account);
		slot->tokens = rl->burst;
		slot->last_ms = now_ms;
	}
	if(now_ms > slot->last_ms) {
		slot->tokens += (double)(now_ms - slot->last_ms) * rl->rate / 1000.0;
		if(slot->tokens > rl->burst)
			slot->tokens = rl->burst;
		slot->last_ms = now_ms;
	}
	if(slot->tokens >= 1) {
		slot->tokens -= 1;
		return true;
	}
	missing = 1 - slot->tokens;
	*retry_after_s = (int)(missing / rl->rate) + 1;
	return false;
}
