/* The worker's recording thread: writes finished attempts (record_batch) on a connection of
 * its own, so that a batch's commit overlaps the database thread's fan-out and claims (each
 * waits for its own commit) and both cores work. The database thread hands it the jobs it
 * took back from the transfer thread; what a batch can't write (the database is away) stays
 * queued and is tried again with a back-off, like the database thread's own writes.
 *
 * Bounded: the database thread counts the jobs queued here among those it holds
 * (recorder_backlog) and claims only within max_in_flight of them all. */
#ifndef WH_RECORDER_H
#define WH_RECORDER_H
#include <stddef.h>

#include "common/config.h"
#include "delivery-worker/handoff.h"
#include "delivery-worker/record.h"

struct recorder;

/* Connects (a database that is down is retried by the thread) and starts the thread; cfg,
 * rec and handoff are borrowed (the handoff is kicked after every recorded batch, so that
 * the database thread sees the room it frees). NULL when the thread can't be created. */
struct recorder *recorder_start(const struct config *cfg, const struct record_opts *rec, struct handoff *handoff);

/* Queues finished jobs (a next-linked list, taken over) to be recorded. */
void recorder_add(struct recorder *r, struct job *jobs);

/* The monotonic time the earliest retry recorded since the last call comes due, 0 when
 * none; the next call starts afresh. */
long long recorder_take_next_due(struct recorder *r);

/* Jobs queued or being written: not recorded yet. */
size_t recorder_backlog(struct recorder *r);

/* Ends the thread once everything queued is recorded, or at once when stop_after_ms have
 * passed and the database is still away (the leases then expire by themselves; logged);
 * frees what is left and the recorder. NULL-safe. */
void recorder_stop(struct recorder *r, long long stop_after_ms);

#endif
