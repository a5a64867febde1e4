/* How long rows live, for every table whose rows expire: defined once here, used by the
 * API that writes them and the worker's retention that deletes them. Event, delivery and
 * attempt retention is configured (retention_days, common/config.h). */
#ifndef WH_TTL_H
#define WH_TTL_H

/* Idempotency-Key records answer replays for 24 hours (SPEC §4); older ones are ignored by
 * the API and deleted by retention. */
#define TTL_IDEMPOTENCY_MS (24LL * 3600 * 1000)

#endif
