/* MariaDB access: one connection, prepared statements cached per connection and
 * re-prepared after a reconnect, results copied out as strings. Prepared statements only:
 * there is no call that runs SQL text with values pasted in.
 *
 *   struct db_rows rows;
 *   result = db_exec(db, "SELECT name FROM accounts WHERE id = ?", DBP(db_str(id)), &rows, NULL);
 *   if(result) goto out;
 *   name = db_rows_get(&rows, 0, 0);   // NULL for SQL NULL or a missing row
 *   ...
 *   db_rows_release(&rows);
 *
 * Times are stored as BIGINT milliseconds since the Unix epoch (see common/timeutil.h). */
#ifndef WH_DB_H
#define WH_DB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"

struct db;

enum db_ptype { DB_P_NULL, DB_P_STR, DB_P_I64, DB_P_BLOB };

struct db_param {
	enum db_ptype type;
	const void *ptr;
	size_t len;
	long long i;
};

static inline struct db_param db_null(void)
{
	return (struct db_param){DB_P_NULL, NULL, 0, 0};
}
/* A NUL-terminated string (borrowed); NULL binds SQL NULL. */
static inline struct db_param db_str(const char *s)
{
	return s ? (struct db_param){DB_P_STR, s, strlen(s), 0} : db_null();
}
static inline struct db_param db_strn(const char *s, size_t n)
{
	return (struct db_param){DB_P_STR, s, n, 0};
}
static inline struct db_param db_i64(long long v)
{
	return (struct db_param){DB_P_I64, NULL, 0, v};
}
static inline struct db_param db_blob(const void *p, size_t n)
{
	return (struct db_param){DB_P_BLOB, p, n, 0};
}
/* Expands to "array, count" for db_exec's params arguments. */
#define DBP(...) (struct db_param[]){__VA_ARGS__}, (sizeof((struct db_param[]){__VA_ARGS__}) / sizeof(struct db_param))
#define DBP_NONE NULL, 0

/* The database server's clock in epoch milliseconds, as an SQL expression to paste into
 * statement text (constant within one statement): for times that several hosts compare,
 * such as the worker's leases and heartbeats. */
#define DB_NOW_MS "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"

struct db_cell {
	char *val; /* NUL-terminated (blobs too, with len the real length), in the block of its rows;
	            * NULL for SQL NULL */
	size_t len;
};

struct db_rows {
	size_t nrows, ncols;
	struct db_cell *cells; /* nrows * ncols */
};

/* Connects with the config's settings: the first node of db_hosts that answers (and, with
 * several, is a Synced Galera node), else the socket when db_socket is set, else TCP. When
 * the connection is lost the next connect tries the following nodes first, wrapping; the
 * process stays on the node it moved to until that one is lost in turn. With db_sync_wait
 * set each session sets wsrep_sync_wait to it (1: reads see every write committed on any
 * node before them). The
 * handle is returned even when the first connect fails (*out set, WH_ERR_DB_DOWN returned),
 * so a long-running process can keep it and reconnect later. Sessions run in READ
 * COMMITTED, utf8mb4, UTC, without ONLY_FULL_GROUP_BY. */
enum wh_err db_open(struct db **out, const struct config *cfg);
/* The process's database timeouts, set once before its first db_open (the worker's: see
 * delivery-worker/main.c). network_s: how long a read or a write on a connection may wait
 * before the connection counts as lost (60 s unless set). lock_wait_s, when not 0: each
 * session's innodb_lock_wait_timeout; keep it shorter than network_s, so a statement waiting
 * for a row lock answers 1205 (retried) rather than losing its connection. */
void db_set_timeouts(unsigned network_s, unsigned lock_wait_s);
/* db_open for a second connection of a process that writes what its first one committed (the
 * worker's recording thread records attempts leased on the other): with several db_hosts (a
 * Galera cluster, where the two may be on different nodes) its sessions set wsrep_sync_wait
 * to at least 1, so each transaction starts once its node has applied everything the cluster
 * committed before (START TRANSACTION waits). Otherwise exactly db_open. */
enum wh_err db_open_causal(struct db **out, const struct config *cfg);
void db_free(struct db *db);

/* Reconnects when the connection is down and checks it answers. */
enum wh_err db_ping(struct db *db);

/* Runs a prepared statement. rows (may be NULL) receives the result set, to release with
 * db_rows_release; affected (may be NULL) the affected-row count. Outside a transaction a
 * lost connection is re-established and the statement retried once; inside one the call
 * answers WH_ERR_DB_DOWN and the caller must roll back. */
enum wh_err db_exec(struct db *db, const char *sql, const struct db_param *params, size_t nparams, struct db_rows *rows,
                    uint64_t *affected);

/* A statement of db_exec_many: rows and affected as db_exec's (each may be NULL). */
struct db_stmt {
	const char *sql;
	const struct db_param *params;
	size_t nparams;
	struct db_rows *rows;
	uint64_t *affected;
};
#define DB_MANY_MAX 8

/* Inside a db_begin_deferred transaction: runs n (1..DB_MANY_MAX) different statements in one
 * round trip (sent together, answered in order; Connector/C's MARIADB_OPT_SKIP_READ_RESPONSE). The server runs every
 * one of them even when an earlier one fails, so use it only for statements whose partial effect the transaction's
 * rollback undoes; the first failure is returned (db_last_errno is its number; a transaction
 * found rolled back under the flight answers as db_begin says) and every rows is then
 * released. WH_ERR_INTERNAL outside a deferred transaction. */
enum wh_err db_exec_many(struct db *db, const struct db_stmt *v, size_t n);

/* START TRANSACTION, one round trip: autocommit off (when on) and a savepoint are sent with it.
 * Every statement's flight in the transaction ends by releasing the savepoint and setting it
 * again, in the same round trip, and db_commit sends the release with COMMIT. A transaction
 * rolled back under its statements without an error reaching them (on Galera, an abort the
 * server did not report) has lost it: that flight answers WH_ERR_DB with db_last_errno a
 * deadlock whatever its statements answered (roll back and retry the transaction), unless a
 * statement's own error told of the rollback (a deadlock, a lock wait timeout, a full lock
 * table: that error is answered); db_commit refuses the same way, and answers a deadlock when
 * the release that goes with COMMIT finds the transaction rolled back (COMMIT then committed
 * an empty one). */
enum wh_err db_begin(struct db *db);
/* A transaction that costs no round trip to begin: it starts with its first statement
 * (db_exec or db_exec_many), in whose flight autocommit is turned off when it is on and the
 * savepoint of db_begin is set, checked by every flight as db_begin's. Autocommit
 * stays off after COMMIT or ROLLBACK, so back-to-back transactions pay nothing for it; the next
 * statement outside a transaction turns it back on in its own flight. With autocommit off a
 * statement that runs after the transaction was rolled back under it (deadlock, a Galera
 * conflict) opens a new transaction instead of committing alone, which is what makes
 * db_exec_many safe. A transaction that ran no statement commits as a no-op. */
void db_begin_deferred(struct db *db);
/* WH_ERR_DB_DOWN when the connection was lost before COMMIT (db_last_errno a connection
 * error: nothing was committed) or during it (fate unknown: common/txfate.h); WH_ERR_DB with
 * a deadlock when the transaction was found rolled back under it (db_begin). */
enum wh_err db_commit(struct db *db);
/* The last db_commit sent its COMMIT: only then can a lost connection leave its outcome
 * unknown (lost before it, the transaction is rolled back by the server). */
bool db_commit_sent(const struct db *db);
/* Never fails from the caller's point of view; safe to call when no transaction is open. */
void db_rollback(struct db *db);
/* True inside a transaction, and after its connection was lost until db_rollback. */
bool db_in_tx(const struct db *db);

/* The server error number of the last failed call (1062 duplicate key, 1213 deadlock,
 * 1205 lock wait timeout, ...), 0 when the last call succeeded. */
unsigned db_last_errno(const struct db *db);
/* True when the last failure is worth retrying the whole transaction (deadlock, lock wait;
 * common/txfate.h decides). */
bool db_last_retryable(const struct db *db);
/* AUTO_INCREMENT value of the last INSERT. */
uint64_t db_insert_id(const struct db *db);

/* Runs a plain SQL script (migrations only: trusted text from sql/, no values). */
enum wh_err db_run_script(struct db *db, const char *sql);

/* Value of row r, column c: borrowed NUL-terminated string, NULL for SQL NULL or out of range. */
const char *db_rows_get(const struct db_rows *rows, size_t r, size_t c);
size_t db_rows_len(const struct db_rows *rows, size_t r, size_t c);
long long db_rows_i64(const struct db_rows *rows, size_t r, size_t c);
void db_rows_release(struct db_rows *rows);

#endif
