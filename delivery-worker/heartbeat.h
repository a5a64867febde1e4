/* The worker's heartbeat row in `workers` (sql/007): id, host, pid, version, started and
 * last_seen, both on the database's clock. /v2/health counts the rows seen lately; rate
 * shares divide by the same count. */
#ifndef WH_HEARTBEAT_H
#define WH_HEARTBEAT_H
#include <stdbool.h>

#include "common/db.h"
#include "common/ids.h"

/* How often the row's last_seen is set. */
#define HEARTBEAT_EVERY_MS 2000
/* A worker counts as alive (for rate shares) when seen within this. */
#define HEARTBEAT_ALIVE_MS (3 * HEARTBEAT_EVERY_MS)
/* Within this of a row's first beat every live worker has beaten again (one beat may be
 * late), so counts the new worker in its rate shares. */
#define HEARTBEAT_SEEN_MS (2 * HEARTBEAT_EVERY_MS)
/* Rows not seen for this long (workers that died without a clean stop) are deleted. */
#define HEARTBEAT_FORGET_MS (3600LL * 1000)

struct heartbeat {
	char id[ID_LEN + 1];
	char host[256];
	int pid;
	bool written; /* the row exists (as far as this worker knows) */
	size_t alive; /* workers seen within HEARTBEAT_ALIVE_MS at the last beat, this one included */
};

/* A new worker identity: a random id, this host's name and pid. No database call. */
void heartbeat_init(struct heartbeat *hb);
/* Inserts the row (started = last_seen = now) or sets last_seen; recreates a row that
 * vanished; counts the workers alive into hb->alive. The first successful beat also deletes the rows of workers not
 * seen for HEARTBEAT_FORGET_MS (killed ones never delete their own). */
enum wh_err heartbeat_beat(struct db *db, struct heartbeat *hb);
/* Deletes the row (clean stop). */
enum wh_err heartbeat_end(struct db *db, struct heartbeat *hb);

#endif
