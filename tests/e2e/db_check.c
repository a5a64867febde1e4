/* db-check: drives common/db.c against a real MariaDB for the e2e suite (test_db_results.py).
 *
 *   db-check --config FILE failed-result
 *
 * A locking read whose result set ends in an error after it began (here a lock wait timeout
 * behind a row another connection holds; on Galera a brute-force abort), alone and inside a
 * pipelined flight, then the same statements again once the lock is gone: they must answer
 * at once on the same connection, never after waiting out a network timeout and a
 * reconnect. The timeouts are db_set_timeouts' (as the worker sets them): the lock wait
 * timeout of every session, and a statement that outlasts the network timeout loses its
 * connection. Then a transaction rolled back under its statements without their knowing
 * (check_rolled_back_under), as db_begin or db_begin_deferred opens it, is answered as a
 * deadlock by the flight that ran the rollback, and commits nothing.
 * Prints "ok NAME" or "FAIL NAME: why" per check; exits 1 on any failure. */
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/db.h"
#include "common/log.h"

#define TABLE "db_check_rows"
#define NETWORK_TIMEOUT_S 3
#define LOCK_WAIT_S 1

static const char sql_create[] = "CREATE TABLE IF NOT EXISTS " TABLE " (id INT PRIMARY KEY, v INT NOT NULL) "
                                 "ENGINE=InnoDB";
static const char sql_fill[] = "INSERT IGNORE INTO " TABLE " (id, v) VALUES (1, 1), (2, 2), (3, 3)";
static const char sql_drop[] = "DROP TABLE IF EXISTS " TABLE;
static const char sql_sleep[] = "SELECT SLEEP(30)";
static const char sql_hold[] = "SELECT v FROM " TABLE " WHERE id = 2 FOR UPDATE";
/* A scan, not a key lookup: its rows are sent as they are read, so the lock wait on row 2
 * happens after the result set began (a key lookup waits before any of it is sent). */
static const char sql_scan[] = "SELECT id, v FROM " TABLE " WHERE v > 0 FOR UPDATE";
static const char sql_conn_id[] = "SELECT CONNECTION_ID()";
static const char sql_one[] = "SELECT 1";
static const char sql_insert_10[] = "INSERT INTO " TABLE " (id, v) VALUES (10, 10)";
static const char sql_insert_11[] = "INSERT INTO " TABLE " (id, v) VALUES (11, 11)";
static const char sql_insert_dup[] = "INSERT INTO " TABLE " (id, v) VALUES (1, 1)"; /* 1062 */
static const char sql_rollback[] = "ROLLBACK";
static const char sql_count_new[] = "SELECT COUNT(*) FROM " TABLE " WHERE id >= 10";

static int failures;

static void report(const char *name, bool ok, const char *why)
{
	if(ok) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	}
	fflush(stdout);
}

static long long conn_id(struct db *db)
{
	struct db_rows rows;
	long long id = -1;
	if(!db_exec(db, sql_conn_id, DBP_NONE, &rows, NULL))
		id = db_rows_i64(&rows, 0, 0);
	db_rows_release(&rows);
	return id;
}

/* The scan on b answers all three rows (the lock is gone), on the connection it had. */
static void check_scan_after(struct db *b, long long id_before, const char *name)
{
	struct db_rows rows;
	char why[160];
	enum wh_err result = db_exec(b, sql_scan, DBP_NONE, &rows, NULL);
	long long id_after = conn_id(b);
	snprintf(why, sizeof(why), "result %d (errno %u), %zu rows, connection %lld then %lld", (int)result,
	         db_last_errno(b), rows.nrows, id_before, id_after);
	report(name, !result && rows.nrows == 3 && id_before > 0 && id_after == id_before, why);
	db_rows_release(&rows);
}

/* a locks row 2 in a transaction of its own; db_rollback(a) lets it go. */
static void hold_row(struct db *a, const char *name)
{
	db_begin(a);
	report(name, !db_exec(a, sql_hold, DBP_NONE, NULL, NULL), "the other connection could not lock row 2");
}

/* b's scan answered the lock wait timeout. */
static void report_lock_timeout(struct db *b, enum wh_err result, const char *name)
{
	char why[96];
	snprintf(why, sizeof(why), "result %d, errno %u (want %d)", (int)result, db_last_errno(b),
	         ER_LOCK_WAIT_TIMEOUT);
	report(name, result == WH_ERR_DB && db_last_errno(b) == ER_LOCK_WAIT_TIMEOUT, why);
}

/* The scan alone (db_exec): times out on the lock, then runs again. */
static void check_alone(struct db *a, struct db *b)
{
	struct db_rows rows;
	long long id = conn_id(b);
	hold_row(a, "alone/lock-held");
	report_lock_timeout(b, db_exec(b, sql_scan, DBP_NONE, &rows, NULL), "alone/lock-wait-timeout");
	db_rows_release(&rows);
	db_rollback(a);
	check_scan_after(b, id, "alone/again-on-same-connection");
}

/* The scan first in a pipelined flight (db_exec_many), a statement after it: the first
 * failure is reported, the second statement's answer read, and the connection stays usable. */
static void check_in_flight(struct db *a, struct db *b)
{
	struct db_rows scan_rows, one_rows;
	struct db_stmt v[] = {
	    {sql_scan, NULL, 0, &scan_rows, NULL},
	    {sql_one, NULL, 0, &one_rows, NULL},
	};
	long long id = conn_id(b);
	enum wh_err result;
	hold_row(a, "flight/lock-held");
	db_begin_deferred(b);
	report_lock_timeout(b, db_exec_many(b, v, 2), "flight/lock-wait-timeout");
	db_rollback(b);
	db_rollback(a);
	check_scan_after(b, id, "flight/again-on-same-connection");
	/* the flight's statements in a deferred transaction once more, both answered */
	db_begin_deferred(b);
	result = db_exec_many(b, v, 2);
	report("flight/again-whole", !result && scan_rows.nrows == 3 && one_rows.nrows == 1, "the flight failed");
	db_rows_release(&scan_rows);
	db_rows_release(&one_rows);
	if(!result)
		result = db_commit(b);
	else
		db_rollback(b);
	report("flight/same-connection", !result && conn_id(b) == id, "the connection changed or the commit failed");
}

/* A statement that takes longer than the network timeout: its connection counts as lost (in a
 * transaction, so db_exec does not run it again on a new one). */
static void check_network_timeout(struct db *b)
{
	char why[96];
	enum wh_err result;
	db_begin(b);
	result = db_exec(b, sql_sleep, DBP_NONE, NULL, NULL);
	snprintf(why, sizeof(why), "result %d, errno %u (want %d)", (int)result, db_last_errno(b), CR_SERVER_LOST);
	report("network-timeout/connection-lost", result == WH_ERR_DB_DOWN && db_last_errno(b) == CR_SERVER_LOST, why);
	db_rollback(b);
	report("network-timeout/reconnects", conn_id(b) > 0, "no new connection after the timeout");
}

/* Reports the answer of a flight that ran in or after a rollback the caller did not know of:
 * a deadlock, whatever its statements answered. */
static void report_deadlock(struct db *b, const char *name, enum wh_err result)
{
	char why[96];
	snprintf(why, sizeof(why), "answered %d, errno %u (want %d, %d)", (int)result, db_last_errno(b), WH_ERR_DB,
	         ER_LOCK_DEADLOCK);
	report(name, result == WH_ERR_DB && db_last_errno(b) == ER_LOCK_DEADLOCK, why);
}

/* After a flight answered that deadlock, a caller that goes on anyway: its next statement runs
 * (in the new transaction), and COMMIT is refused the same way and commits nothing. */
static void check_nothing_commits(struct db *a, struct db *b, const char *prefix)
{
	struct db_rows rows;
	char name[64], why[96];
	enum wh_err result = db_exec(b, sql_insert_11, DBP_NONE, NULL, NULL);
	snprintf(name, sizeof(name), "%s/next-statement-ran", prefix);
	report(name, !result, "the statement after failed");
	snprintf(name, sizeof(name), "%s/commit-refused", prefix);
	report_deadlock(b, name, db_commit(b));
	db_rollback(b);
	result = db_exec(a, sql_count_new, DBP_NONE, &rows, NULL);
	snprintf(why, sizeof(why), "result %d, %s of the rows 10 and 11 committed", (int)result,
	         result ? "?" : db_rows_get(&rows, 0, 0));
	snprintf(name, sizeof(name), "%s/nothing-committed", prefix);
	report(name, !result && db_rows_i64(&rows, 0, 0) == 0, why);
	if(!result)
		db_rows_release(&rows);
}

/* A transaction rolled back under its statements without an error reaching them (on Galera,
 * a brute-force abort that no command reported; here a ROLLBACK the caller does not know of)
 * is found in the flight that ran it. As db_begin opens it (the worker's), one statement per
 * flight. */
static void check_rolled_back_under(struct db *a, struct db *b)
{
	enum wh_err result = db_begin(b);
	if(!result)
		result = db_exec(b, sql_insert_10, DBP_NONE, NULL, NULL);
	report("rolled-back-under/statement-ran", !result, "the transaction's first statement failed");
	report_deadlock(b, "rolled-back-under/answered-deadlock", db_exec(b, sql_rollback, DBP_NONE, NULL, NULL));
	check_nothing_commits(a, b, "rolled-back-under");
}

/* The same as db_begin_deferred opens it (the API's; its first flight turns autocommit off,
 * which a statement outside a transaction turned on, and sets the savepoint), the rollback
 * inside a flight of db_exec_many whose next statement fails with a duplicate key, as the
 * worker's fan-out INSERT did on Galera: the flight answers the deadlock, not the 1062. */
static void check_rolled_back_under_deferred(struct db *a, struct db *b)
{
	struct db_stmt v[] = {
	    {sql_insert_10, DBP_NONE, NULL, NULL},
	    {sql_rollback, DBP_NONE, NULL, NULL},
	    {sql_insert_dup, DBP_NONE, NULL, NULL},
	};
	enum wh_err result = db_exec(b, sql_one, DBP_NONE, NULL, NULL);
	report("rolled-back-under-deferred/autocommit-on", !result, "a statement outside a transaction failed");
	db_begin_deferred(b);
	report_deadlock(b, "rolled-back-under-deferred/answered-deadlock", db_exec_many(b, v, 3));
	check_nothing_commits(a, b, "rolled-back-under-deferred");
}

static int failed_result(const struct config *cfg)
{
	struct db *a = NULL, *b = NULL;
	if(db_open(&a, cfg) || db_open(&b, cfg)) {
		report("connect", false, "no database");
		goto out;
	}
	if(db_exec(a, sql_create, DBP_NONE, NULL, NULL) || db_exec(a, sql_fill, DBP_NONE, NULL, NULL)) {
		report("setup", false, "cannot create the scratch table");
		goto out;
	}
	check_alone(a, b);
	check_in_flight(a, b);
	check_network_timeout(b);
	check_rolled_back_under(a, b);
	check_rolled_back_under_deferred(a, b);
	db_exec(a, sql_drop, DBP_NONE, NULL, NULL);
out:
	db_free(a);
	db_free(b);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	int rc;
	log_setup("db-check", LOG_LEVEL_INFO);
	if(argc != 4 || strcmp(argv[1], "--config") || strcmp(argv[3], "failed-result")) {
		fprintf(stderr, "usage: db-check --config FILE failed-result\n");
		return 2;
	}
	if(config_load(&cfg, argv[2], err, sizeof(err))) {
		fprintf(stderr, "db-check: %s\n", err);
		return 2;
	}
	db_set_timeouts(NETWORK_TIMEOUT_S, LOCK_WAIT_S);
	rc = failed_result(&cfg);
	config_release(&cfg);
	return rc;
}
