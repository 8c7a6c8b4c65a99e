/* Token bucket (rate_limit.h). */
#include "rate_limit.h"

#define NS_PER_S 1000000000u

void rate_limit_init(struct rate_limit *r, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	r->rate = rate;
	r->burst = burst ? burst : 1;
	r->credit = (unsigned __int128)r->burst * NS_PER_S;
	r->debt = 0;
	r->last_ns = now_ns;
}

static void refill(struct rate_limit *r, uint64_t now_ns)
{
	if (now_ns <= r->last_ns)
		return;  /* the clock is monotonic; equal readings add nothing */
	unsigned __int128 full = (unsigned __int128)r->burst * NS_PER_S;
	unsigned __int128 added = (unsigned __int128)r->rate * (now_ns - r->last_ns);
	unsigned __int128 repaid = added < r->debt ? added : r->debt;
	r->debt -= repaid;
	added -= repaid;
	r->credit = r->credit + added > full ? full : r->credit + added;
	r->last_ns = now_ns;
}

uint64_t rate_limit_take(struct rate_limit *r, uint64_t want, uint64_t now_ns)
{
	if (!r->rate)
		return want;
	refill(r, now_ns);
	uint64_t have = (uint64_t)(r->credit / NS_PER_S);
	uint64_t granted = want < have ? want : have;
	r->credit -= (unsigned __int128)granted * NS_PER_S;
	return granted;
}

void rate_limit_spend(struct rate_limit *r, uint64_t cost, uint64_t now_ns)
{
	if (!r->rate)
		return;
	refill(r, now_ns);
	unsigned __int128 want = (unsigned __int128)cost * NS_PER_S;
	if (want <= r->credit) {
		r->credit -= want;
		return;
	}
	r->debt += want - r->credit;
	r->credit = 0;
}

uint64_t rate_limit_wait_ns(struct rate_limit *r, uint64_t want, uint64_t now_ns)
{
	if (!r->rate)
		return 0;
	refill(r, now_ns);
	unsigned __int128 need = (unsigned __int128)(want < r->burst ? want : r->burst) * NS_PER_S;
	need += r->debt;
	if (r->credit >= need)
		return 0;
	unsigned __int128 wait = (need - r->credit + r->rate - 1) / r->rate;
	return wait > UINT64_MAX ? UINT64_MAX : (uint64_t)wait;
}

uint64_t rate_limit_pair_wait_ns(struct rate_limit *bytes, struct rate_limit *ops, uint64_t len, uint64_t now_ns)
{
	uint64_t a = rate_limit_wait_ns(bytes, len, now_ns), b = rate_limit_wait_ns(ops, 1, now_ns);
	return a > b ? a : b;
}
