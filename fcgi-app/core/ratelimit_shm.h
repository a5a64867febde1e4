/* The per-account token buckets shared by every FastCGI process of one host: the table of
 * ratelimit.h in a POSIX shared memory segment, under a process-shared robust mutex, so
 * the configured rate holds for an account whatever process answers it (SPEC §12). */
#ifndef WH_RATELIMIT_SHM_H
#define WH_RATELIMIT_SHM_H
#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

struct ratelimit_shared;

/* The segment name for a configuration: "/linehook-rl-" and a hash of the database it
 * serves and of the rate and burst, so the processes of one stack share a table and a
 * front configured differently gets its own. out needs RATELIMIT_SHM_NAME_LEN bytes. */
#define RATELIMIT_SHM_NAME_LEN 32
void ratelimit_shared_name(const struct config *cfg, char out[RATELIMIT_SHM_NAME_LEN]);

/* Maps the segment name, creating and initialising it when this process is the first.
 * New; NULL on failure (logged), when the caller falls back to a table of its own. */
struct ratelimit_shared *ratelimit_shared_open(const char *name, double rate, double burst);
/* ratelimit_take on the shared table, under its lock. */
bool ratelimit_shared_take(struct ratelimit_shared *rs, const char *account, long long now_ms, int *retry_after_s);
/* Unmaps; the last user of the segment on the host (no other process, nor another handle,
 * has it open) removes its name too. A process killed before it closes leaves the segment
 * to the others, and the last clean close removes it. NULL-safe. */
void ratelimit_shared_close(struct ratelimit_shared *rs);
/* Removes the segment name (tests); the mappings that exist keep working. */
void ratelimit_shared_unlink(const char *name);

#endif
