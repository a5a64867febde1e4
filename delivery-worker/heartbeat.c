/* The worker's row in `workers`, kept current on the database's clock. */
#include "delivery-worker/heartbeat.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "delivery-worker/job.h"

static const char sql_beat[] = "INSERT INTO workers (id, host, pid, version, started, last_seen) "
                               "VALUES (?, ?, ?, ?, " DB_NOW_MS ", " DB_NOW_MS ") "
                               "ON DUPLICATE KEY UPDATE last_seen = " DB_NOW_MS;
static const char sql_forget[] = "DELETE FROM workers WHERE last_seen < " DB_NOW_MS " - ?";
static const char sql_end[] = "DELETE FROM workers WHERE id = ?";
static const char sql_alive[] = "SELECT COUNT(*) FROM workers WHERE last_seen >= " DB_NOW_MS " - ?";

void heartbeat_init(struct heartbeat *hb)
{
	memset(hb, 0, sizeof(*hb));
	id_new(hb->id);
	if(gethostname(hb->host, sizeof(hb->host) - 1) || !hb->host[0])
		snprintf(hb->host, sizeof(hb->host), "unknown");
	hb->pid = (int)getpid();
	hb->alive = 1;
}

static enum wh_err count_alive(struct db *db, struct heartbeat *hb)
{
	struct db_rows rows;
	enum wh_err result = db_exec(db, sql_alive, DBP(db_i64(HEARTBEAT_ALIVE_MS)), &rows, NULL);
	if(result)
		return result;
	hb->alive = (size_t)db_rows_i64(&rows, 0, 0);
	if(hb->alive < 1)
		hb->alive = 1;
	db_rows_release(&rows);
	return WH_OK;
}

enum wh_err heartbeat_beat(struct db *db, struct heartbeat *hb)
{
	enum wh_err result = db_exec(
	    db, sql_beat, DBP(db_str(hb->id), db_str(hb->host), db_i64(hb->pid), db_str(LINEHOOK_VERSION)), NULL, NULL);
	if(!result && !hb->written) /* once per start: the rows of workers long gone */
		result = db_exec(db, sql_forget, DBP(db_i64(HEARTBEAT_FORGET_MS)), NULL, NULL);
	if(!result)
		hb->written = true;
	if(!result)
		result = count_alive(db, hb);
	return result;
}

enum wh_err heartbeat_end(struct db *db, struct heartbeat *hb)
{
	enum wh_err result = db_exec(db, sql_end, DBP(db_str(hb->id)), NULL, NULL);
	if(!result)
		hb->written = false;
	return result;
}
