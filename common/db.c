/* MariaDB Connector/C wrapper: connection, reconnect, statement cache, result copying. */
#include "common/db.h"

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/dbhosts.h"
#include "common/log.h"
#include "common/txfate.h"
#include "common/xalloc.h"

struct stmt_entry {
	const char *sql; /* pointer identity first, then text */
	MYSQL_STMT *stmt;
};

struct db {
	MYSQL *conn;
	bool connected;
	bool in_tx;
	bool tx_lost;           /* the connection was lost inside the open transaction */
	bool deferred;          /* the open transaction runs with autocommit off (db_begin_deferred) */
	bool begin_pending;     /* ... and none of its statements was sent yet */
	bool autocommit_off;    /* the session's autocommit, as last set (a new session has it on) */
	bool guarded;           /* the open transaction holds tx_savepoint: its flights end in tx_check */
	bool rolled_back_under; /* ... and one of them found it gone: never commit */
	bool commit_sent;       /* the last db_commit sent its COMMIT */
	unsigned last_errno;
	uint64_t insert_id;
	struct stmt_entry *stmts;
	size_t nstmts, capstmts;
	struct db_hosts hosts; /* in order of preference */
	size_t cur;            /* the node in use, or the next one to try */
	size_t last;           /* the node of the last connection, when used */
	bool used;
	char *user, *password, *name;
	char init[256];
};

/* Process-wide, set by db_set_timeouts before the first db_open. */
static unsigned net_timeout_s = 60;
static unsigned lock_wait_s;

void db_set_timeouts(unsigned network_s, unsigned lock_wait)
{
	net_timeout_s = network_s;
	lock_wait_s = lock_wait;
}

static void db_disconnect(struct db *db)
{
	for(size_t i = 0; i < db->nstmts; i++)
		mysql_stmt_close(db->stmts[i].stmt);
	db->nstmts = 0;
	if(db->conn)
		mysql_close(db->conn);
	db->conn = NULL;
	db->connected = false;
	if(db->in_tx && !db->begin_pending)
		db->tx_lost = true;
	if(!db->begin_pending)
		db->in_tx = db->deferred = db->guarded = db->rolled_back_under = false;
}

static const char *host_name(const struct db_host *h, char *out, size_t len)
{
	if(h->socket)
		snprintf(out, len, "%s", h->socket);
	else
		snprintf(out, len, "%s:%u", h->host, h->port);
	return out;
}

/* The first column of the first row of a plain query; false when it fails or has no row. */
static bool query_value(MYSQL *conn, const char *sql, char *out, size_t len)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool found = false;
	if(mysql_real_query(conn, sql, strlen(sql)))
		return false;
	res = mysql_store_result(conn);
	if(!res)
		return false;
	row = mysql_fetch_row(res);
	if(row && row[0]) {
		snprintf(out, len, "%s", row[0]);
		found = true;
	}
	mysql_free_result(res);
	return found;
}

/* A Galera node that is not Synced refuses work (1047): with a choice of nodes, skip it.
 * A server without wsrep (no such variable, or wsrep_on off) is taken. */
static bool node_ready(MYSQL *conn)
{
	char v[16];
	if(!query_value(conn, "SELECT @@global.wsrep_on", v, sizeof(v)) || !strcmp(v, "0"))
		return true;
	return query_value(conn,
	                   "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
	                   "'WSREP_READY'",
	                   v, sizeof(v)) &&
	       !strcmp(v, "ON");
}

static enum wh_err connect_node(struct db *db, const struct db_host *h)
{
	unsigned timeout = 3;
	unsigned rw_timeout = net_timeout_s;
	char name[300];
	db->conn = mysql_init(NULL);
	if(!db->conn)
		return WH_ERR_DB_DOWN;
	mysql_options(db->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(db->conn, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
	mysql_options(db->conn, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
	mysql_options(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(db->conn, MYSQL_INIT_COMMAND, db->init);
	if(!mysql_real_connect(db->conn, h->socket ? "localhost" : h->host, db->user, db->password, db->name, h->port,
	                       h->socket, CLIENT_FOUND_ROWS)) {
		db->last_errno = mysql_errno(db->conn);
		log_warn("database connect to %s failed: %s", host_name(h, name, sizeof(name)), mysql_error(db->conn));
		goto fail;
	}
	if(db->hosts.n > 1 && !node_ready(db->conn)) {
		db->last_errno = ER_UNKNOWN_COM_ERROR;
		log_warn("database node %s is not ready (not in the primary component)",
		         host_name(h, name, sizeof(name)));
		goto fail;
	}
	return WH_OK;
fail:
	mysql_close(db->conn);
	db->conn = NULL;
	return WH_ERR_DB_DOWN;
}

/* Connects to the node in use, else the next ones in turn (db_hosts order, wrapping). */
static enum wh_err db_connect(struct db *db)
{
	char name[300];
	if(db->connected)
		return WH_OK;
	db_disconnect(db);
	for(size_t k = 0; k < db->hosts.n; k++) {
		size_t i = (db->cur + k) % db->hosts.n;
		if(connect_node(db, &db->hosts.v[i]))
			continue;
		if(db->used && i != db->last) { /* moved to another node */
			char was[300];
			log_info("database: connected to %s (was %s)", host_name(&db->hosts.v[i], name, sizeof(name)),
			         host_name(&db->hosts.v[db->last], was, sizeof(was)));
		}
		db->cur = db->last = i;
		db->used = true;
		db->connected = true;
		db->autocommit_off = false; /* a new session */
		return WH_OK;
	}
	return WH_ERR_DB_DOWN;
}

/* Without db_hosts the one node of db_socket (when set) or db_host and db_port. */
static void hosts_from_config(struct db *db, const struct config *cfg)
{
	char err[256];
	if(db_hosts_parse(config_str(cfg, CFG_DB_HOSTS), &db->hosts, err, sizeof(err)))
		log_err("%s", err); /* config_load checked it already */
	if(db->hosts.n)
		return;
	db->hosts.v = xcalloc(1, sizeof(*db->hosts.v));
	db->hosts.n = 1;
	if(config_str(cfg, CFG_DB_SOCKET)[0])
		db->hosts.v[0].socket = xstrdup(config_str(cfg, CFG_DB_SOCKET));
	else
		db->hosts.v[0].host = xstrdup(config_str(cfg, CFG_DB_HOST));
	db->hosts.v[0].port = (unsigned)config_int(cfg, CFG_DB_PORT);
}

static enum wh_err open_with(struct db **out, const struct config *cfg, bool causal)
{
	struct db *db = xcalloc(1, sizeof(*db));
	long long sync_wait = config_int(cfg, CFG_DB_SYNC_WAIT);
	hosts_from_config(db, cfg);
	if(causal && db->hosts.n > 1)
		sync_wait |= 1; /* a cluster: reads and START TRANSACTION wait for what it committed */
	db->user = xstrdup(config_str(cfg, CFG_DB_USER));
	db->password = xstrdup(config_str(cfg, CFG_DB_PASSWORD));
	db->name = xstrdup(config_str(cfg, CFG_DB_NAME));
	/* wsrep_sync_wait only when asked: a server built without wsrep lacks the variable.
	 * ONLY_FULL_GROUP_BY off: MariaDB does not see that columns of a table grouped by its
	 * unique key have one value per group (the webhook view groups by w.id). */
	snprintf(db->init, sizeof(db->init),
	         "SET SESSION tx_isolation = 'READ-COMMITTED', time_zone = '+00:00', "
	         "sql_mode = REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', '')");
	if(sync_wait)
		snprintf(db->init + strlen(db->init), sizeof(db->init) - strlen(db->init), ", wsrep_sync_wait = %lld",
		         sync_wait);
	if(lock_wait_s)
		snprintf(db->init + strlen(db->init), sizeof(db->init) - strlen(db->init),
		         ", innodb_lock_wait_timeout = %u", lock_wait_s);
	*out = db;
	return db_connect(db);
}

enum wh_err db_open(struct db **out, const struct config *cfg)
{
	return open_with(out, cfg, false);
}

enum wh_err db_open_causal(struct db **out, const struct config *cfg)
{
	return open_with(out, cfg, true);
}

void db_free(struct db *db)
{
	if(!db)
		return;
	db_disconnect(db);
	free(db->stmts);
	db_hosts_release(&db->hosts);
	free(db->user);
	xfree_secret(db->password, strlen(db->password));
	free(db->name);
	free(db);
}

static enum wh_err fail(struct db *db, unsigned e, const char *what, const char *msg, const char *sql)
{
	char node[300];
	db->last_errno = e;
	if(txfate_connection_lost(e)) {
		log_warn("database connection lost (%s) to %s: %s", what,
		         host_name(&db->hosts.v[db->cur], node, sizeof(node)), msg);
		db_disconnect(db);
		db->cur = (db->cur + 1) % db->hosts.n; /* the next connect tries the other nodes first */
		return WH_ERR_DB_DOWN;
	}
	if(e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT || e == ER_DUP_ENTRY)
		log_debug("%s: %u %s", what, e, msg);
	else
		log_err("%s failed: %u %s [%.120s]", what, e, msg, sql);
	return WH_ERR_DB;
}

enum wh_err db_ping(struct db *db)
{
	enum wh_err result = db_connect(db);
	if(result)
		return result;
	if(mysql_ping(db->conn)) {
		fail(db, mysql_errno(db->conn), "ping", mysql_error(db->conn), "");
		db_disconnect(db);
		return db_connect(db) ? WH_ERR_DB_DOWN : WH_OK;
	}
	return WH_OK;
}

static MYSQL_STMT *stmt_get(struct db *db, const char *sql, enum wh_err *result)
{
	MYSQL_STMT *stmt;
	for(size_t i = 0; i < db->nstmts; i++)
		if(db->stmts[i].sql == sql || !strcmp(db->stmts[i].sql, sql))
			return db->stmts[i].stmt;
	stmt = mysql_stmt_init(db->conn);
	if(!stmt) {
		*result = WH_ERR_DB;
		return NULL;
	}
	if(mysql_stmt_prepare(stmt, sql, strlen(sql))) {
		*result = fail(db, mysql_stmt_errno(stmt), "prepare", mysql_stmt_error(stmt), sql);
		mysql_stmt_close(stmt);
		return NULL;
	}
	if(db->nstmts == db->capstmts) {
		db->capstmts = db->capstmts ? db->capstmts * 2 : 32;
		db->stmts = xrealloc(db->stmts, db->capstmts * sizeof(*db->stmts));
	}
	db->stmts[db->nstmts].sql = sql;
	db->stmts[db->nstmts].stmt = stmt;
	db->nstmts++;
	return stmt;
}

static void bind_params(MYSQL_BIND *b, const struct db_param *p, size_t n, long long *ints, my_bool *nulls)
{
	for(size_t i = 0; i < n; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		switch(p[i].type) {
		case DB_P_NULL:
			nulls[i] = 1;
			b[i].buffer_type = MYSQL_TYPE_NULL;
			b[i].is_null = &nulls[i];
			break;
		case DB_P_STR:
		case DB_P_BLOB:
			b[i].buffer_type = p[i].type == DB_P_STR ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
			b[i].buffer = (void *)(uintptr_t)p[i].ptr;
			b[i].buffer_length = (unsigned long)p[i].len;
			break;
		case DB_P_I64:
			ints[i] = p[i].i;
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = &ints[i];
			break;
		}
	}
}

/* Columns whose longest value in a result (STMT_ATTR_UPDATE_MAX_LENGTH) is at most this
 * many bytes take that room in every row, at least 64 (numbers as text) and the NUL;
 * longer ones ("large") take each value's own length, which a first pass over the stored
 * rows reads. */
#define FETCH_LARGE 1024
/* A value's length in the first pass, or this for SQL NULL. */
#define FETCH_NULL ((unsigned long)-1)

static bool column_large(const MYSQL_FIELD *f)
{
	return f->max_length > FETCH_LARGE;
}

/* The room for a value of a column that is not large, with its NUL. */
static size_t column_room(const MYSQL_FIELD *f)
{
	return (f->max_length > 64 ? f->max_length : 64) + 1;
}

/* The room for row's values of the large columns with their NULs (row: their lengths,
 * indexed by column, as the first pass read them), the others' rooms added up in fixed. */
static size_t row_room(const MYSQL_FIELD *fields, unsigned ncols, const unsigned long *row, size_t fixed)
{
	for(unsigned c = 0; c < ncols; c++)
		if(column_large(&fields[c]) && row[c] != FETCH_NULL)
			fixed += row[c] + 1;
	return fixed;
}

/* Binds every column as text into consecutive rooms from at (row: the large columns'
 * lengths), or, with at NULL, only the large columns into no room at all (the others are
 * skipped), which reports their values' lengths and NULLs. */
static void fetch_bind(MYSQL_BIND *b, const MYSQL_FIELD *fields, unsigned ncols, char *at, const unsigned long *row,
                       unsigned long *got, my_bool *nulls)
{
	static char none[1];
	for(unsigned c = 0; c < ncols; c++) {
		bool large = column_large(&fields[c]);
		size_t room = !at ? 0 : !large ? column_room(&fields[c]) : row[c] != FETCH_NULL ? row[c] + 1 : 0;
		b[c].buffer_type = at || large ? MYSQL_TYPE_STRING : MYSQL_TYPE_NULL;
		b[c].buffer = at ? at : none;
		b[c].buffer_length = room ? (unsigned long)(room - 1) : 0; /* the NUL is written after the fetch */
		b[c].length = &got[c];
		b[c].is_null = &nulls[c];
		if(at)
			at += room;
	}
}

/* The first pass, when some column is large: the large columns' lengths into lens (nrows x
 * ncols; FETCH_NULL for NULL), and the room all the rows take into *bytes (fixed: the room
 * of a row's other columns). */
static enum wh_err fetch_lengths(struct db *db, MYSQL_STMT *stmt, const MYSQL_FIELD *fields, unsigned ncols,
                                 size_t nrows, size_t fixed, MYSQL_BIND *b, unsigned long *got, my_bool *nulls,
                                 unsigned long *lens, size_t *bytes)
{
	*bytes = 0;
	fetch_bind(b, fields, ncols, NULL, NULL, got, nulls);
	if(mysql_stmt_bind_result(stmt, b))
		return fail(db, mysql_stmt_errno(stmt), "bind result", mysql_stmt_error(stmt), "");
	for(size_t r = 0; r < nrows; r++) {
		int rc = mysql_stmt_fetch(stmt);
		if(rc == MYSQL_NO_DATA || (rc && rc != MYSQL_DATA_TRUNCATED)) /* truncated: what the pass is for */
			return rc == MYSQL_NO_DATA
			           ? WH_OK
			           : fail(db, mysql_stmt_errno(stmt), "fetch", mysql_stmt_error(stmt), "");
		for(unsigned c = 0; c < ncols; c++)
			lens[r * ncols + c] = nulls[c] ? FETCH_NULL : got[c];
		*bytes += row_room(fields, ncols, lens + r * ncols, fixed);
	}
	return WH_OK;
}

/* Reads the stored result into rows with one allocation: the cells, then each row's values
 * in turn, each fetched in place (no copy, no allocation per value). A column whose values
 * are all short gives each row the room of its longest; a large one (a payload, a response
 * body) gives each row the room of its own value, read by a first pass over the stored rows,
 * so one large value among many short ones costs its length once, not once per row. */
static enum wh_err fetch_rows(struct db *db, MYSQL_STMT *stmt, MYSQL_RES *meta, struct db_rows *rows)
{
	enum wh_err result = WH_OK;
	unsigned ncols = mysql_num_fields(meta);
	size_t nrows = (size_t)mysql_stmt_num_rows(stmt), fixed = 0, bytes;
	MYSQL_FIELD *fields = mysql_fetch_fields(meta);
	/* one temporary block: the binds, their lengths and NULL flags */
	MYSQL_BIND *b = xcalloc(ncols, sizeof(*b) + sizeof(unsigned long) + sizeof(my_bool));
	unsigned long *got = (unsigned long *)(void *)(b + ncols);
	my_bool *nulls = (my_bool *)(got + ncols);
	unsigned long *lens = NULL;
	bool large = false;
	char *at;

	rows->ncols = ncols;
	if(!nrows) /* nothing allocated: callers may skip releasing an empty result */
		goto out;
	for(unsigned c = 0; c < ncols; c++) {
		large = large || column_large(&fields[c]);
		fixed += column_large(&fields[c]) ? 0 : column_room(&fields[c]);
	}
	bytes = nrows * fixed;
	if(large) {
		lens = xcalloc(nrows * ncols, sizeof(*lens));
		result = fetch_lengths(db, stmt, fields, ncols, nrows, fixed, b, got, nulls, lens, &bytes);
		if(result)
			goto out;
		mysql_stmt_data_seek(stmt, 0);
	}
	rows->cells = xmalloc(nrows * ncols * sizeof(*rows->cells) + bytes);
	at = (char *)(rows->cells + nrows * ncols);
	for(size_t r = 0; r < nrows; r++, rows->nrows++) {
		const unsigned long *row = large ? lens + r * ncols : NULL; /* read for large columns only */
		int rc;
		fetch_bind(b, fields, ncols, at, row, got, nulls);
		if(mysql_stmt_bind_result(stmt, b)) {
			result = fail(db, mysql_stmt_errno(stmt), "bind result", mysql_stmt_error(stmt), "");
			goto out;
		}
		rc = mysql_stmt_fetch(stmt);
		if(rc == MYSQL_NO_DATA)
			break;
		if(rc == MYSQL_DATA_TRUNCATED) { /* the room is the column's longest, or the value's own */
			log_err("fetch: a value longer than the room the result gave it");
			db->last_errno = CR_UNKNOWN_ERROR;
			result = WH_ERR_DB;
			goto out;
		}
		if(rc) {
			result = fail(db, mysql_stmt_errno(stmt), "fetch", mysql_stmt_error(stmt), "");
			goto out;
		}
		for(unsigned c = 0; c < ncols; c++) {
			struct db_cell *cell = &rows->cells[r * ncols + c];
			cell->val = nulls[c] ? NULL : b[c].buffer;
			cell->len = nulls[c] ? 0 : got[c];
			if(cell->val)
				cell->val[cell->len] = '\0';
		}
		at += row_room(fields, ncols, row, fixed);
	}
out:
	free(lens);
	free(b);
	return result;
}

/* Pipelining (Connector/C 3.3's MARIADB_OPT_SKIP_READ_RESPONSE): while on, commands are
 * sent without waiting for their answers, which are then read in the order sent. Statements
 * are prepared (a synchronous round trip, once per connection) before it is turned on. */
static void skip_reads(struct db *db, bool on)
{
	my_bool v = on;
	mysql_options(db->conn, MARIADB_OPT_SKIP_READ_RESPONSE, &v);
}

/* Binds the parameters and sends the execute (its answer is read by stmt_recv). */
static enum wh_err stmt_send(struct db *db, MYSQL_STMT *stmt, const struct db_stmt *v)
{
	enum wh_err result = WH_OK;
	MYSQL_BIND *b = NULL;
	long long *ints = NULL;
	my_bool *nulls = NULL;
	size_t n = v->nparams;

	if(n) {
		b = xcalloc(n, sizeof(*b));
		ints = xcalloc(n, sizeof(*ints));
		nulls = xcalloc(n, sizeof(*nulls));
		bind_params(b, v->params, n, ints, nulls);
		if(mysql_stmt_bind_param(stmt, b)) {
			result = fail(db, mysql_stmt_errno(stmt), "bind", mysql_stmt_error(stmt), v->sql);
			goto out;
		}
	}
	if(mysql_stmt_execute(stmt))
		result = fail(db, mysql_stmt_errno(stmt), "execute", mysql_stmt_error(stmt), v->sql);
out:
	free(b);
	free(ints);
	free(nulls);
	return result;
}

/* Closes a cached statement handle and forgets it; its next use prepares it again. */
static void stmt_drop(struct db *db, MYSQL_STMT *stmt)
{
	for(size_t i = 0; i < db->nstmts; i++) {
		if(db->stmts[i].stmt != stmt)
			continue;
		mysql_stmt_close(stmt); /* COM_STMT_CLOSE has no answer: nothing is read */
		db->stmts[i] = db->stmts[--db->nstmts];
		return;
	}
}

/* Reads a sent statement's answer: its result set into v->rows, its counts. *broken is set
 * when a result set ended in an error after it began (a lock wait timeout, a deadlock or a
 * Galera brute-force abort during a locking read, a killed query): the server has sent all
 * it will for it, but Connector/C leaves the handle looking as if rows were still to come
 * (mysql_stmt_free_result marks it "fetching" with no rows stored), and its next
 * mysql_stmt_execute would first wait for them until the read timeout (60 s by default),
 * then fail with 2006 "Server has gone away". The caller drops such a handle. */
static enum wh_err stmt_recv(struct db *db, MYSQL_STMT *stmt, const struct db_stmt *v, bool *broken)
{
	enum wh_err result = WH_OK;
	MYSQL_RES *meta = NULL;
	my_bool update_max = 1;

	*broken = false;
	if(db->conn->methods->db_read_execute_response(stmt)) {
		result = fail(db, mysql_stmt_errno(stmt), "execute", mysql_stmt_error(stmt), v->sql);
		goto out;
	}
	if(v->affected)
		*v->affected = mysql_stmt_affected_rows(stmt);
	db->insert_id = mysql_stmt_insert_id(stmt);
	meta = mysql_stmt_result_metadata(stmt);
	if(meta) {
		mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
		if(mysql_stmt_store_result(stmt)) {
			*broken = true;
			result = fail(db, mysql_stmt_errno(stmt), "store", mysql_stmt_error(stmt), v->sql);
			goto out;
		}
		if(v->rows)
			result = fetch_rows(db, stmt, meta, v->rows);
	}
out:
	if(meta)
		mysql_free_result(meta);
	if(db->connected && !*broken)
		mysql_stmt_free_result(stmt);
	return result;
}

static const char autocommit_off[] = "SET autocommit = 0";
static const char autocommit_on[] = "SET autocommit = 1";

/* A transaction (db_begin, db_begin_deferred) runs with autocommit off and holds this
 * savepoint, set as it begins. Every flight inside it ends by releasing the savepoint and
 * setting it again (tx_check, in the flight's round trip). A transaction rolled back under
 * its statements without the client being told (on Galera, a brute-force abort that the next
 * command did not report: seen as a fan-out INSERT answering 1062 against a row that only
 * the abort of its own transaction let another commit) has lost the savepoint: the release
 * fails, the flight answers a deadlock whatever its statements answered (the caller rolls
 * back and retries the whole transaction), and what ran after the rollback, held in a new
 * transaction because autocommit is off, is rolled back instead of committed as if it were
 * the whole transaction. */
static const char tx_savepoint[] = "SAVEPOINT linehook_tx";
static const char tx_release[] = "RELEASE SAVEPOINT linehook_tx";
static const char *const tx_check[] = {tx_release, tx_savepoint};

/* The plain commands of a flight: pre before its statements (autocommit_off or autocommit_on,
 * whose success the session state follows; tx_savepoint, whose success makes the transaction
 * guarded), and tx_check after them when check is set. */
struct flight_cmds {
	const char *pre[2];
	size_t npre;
	bool check;
};

/* Sends cmd[*done..n) as plain commands, counting them in *done; stops at the first failure. */
static enum wh_err plain_send(struct db *db, const char *const *cmd, size_t n, size_t *done)
{
	enum wh_err result = WH_OK;
	while(*done < n && !result) {
		if(mysql_real_query(db->conn, cmd[*done], strlen(cmd[*done])))
			result = fail(db, mysql_errno(db->conn), "query", mysql_error(db->conn), cmd[*done]);
		else
			(*done)++;
	}
	return result;
}

/* How many of a flight's commands went out. */
struct flight_sent {
	size_t pre, stmts, check;
};

/* Sends the flight: the pre commands, the executes, and tx_check once every execute went.
 * Statements are prepared before anything is sent. */
static enum wh_err flight_send(struct db *db, const struct flight_cmds *c, const struct db_stmt *v, size_t n,
                               MYSQL_STMT **stmts, struct flight_sent *sent)
{
	enum wh_err result = WH_OK;
	for(size_t i = 0; i < n && !result; i++) {
		stmts[i] = stmt_get(db, v[i].sql, &result);
		for(size_t j = 0; j < i && !result; j++)
			if(stmts[j] == stmts[i]) /* one answer per statement handle at a time */
				result = WH_ERR_INTERNAL;
	}
	if(result)
		return result;
	db->begin_pending = false;
	skip_reads(db, true);
	result = plain_send(db, c->pre, c->npre, &sent->pre);
	while(sent->stmts < n && !result && !(result = stmt_send(db, stmts[sent->stmts], &v[sent->stmts])))
		sent->stmts++;
	if(c->check && !result)
		result = plain_send(db, tx_check, 2, &sent->check);
	if(db->connected)
		skip_reads(db, false);
	return result;
}

/* The first failure of a flight, and its error number. */
struct flight_fail {
	enum wh_err result;
	unsigned e;
};

static void flight_failed(struct flight_fail *f, enum wh_err result, unsigned e)
{
	if(!f->result) {
		f->result = result;
		f->e = e;
	}
}

/* Reads the answers of a flight's n pre commands, whose success the session state follows.
 * The savepoint guards the transaction only when autocommit is off (with it on, SAVEPOINT
 * answers OK and sets nothing). */
static void pre_recv(struct db *db, const char *const *cmd, size_t n, struct flight_fail *f)
{
	for(size_t i = 0; i < n && db->connected; i++) {
		if(!db->conn->methods->db_read_query_result(db->conn)) {
			if(cmd[i] == tx_savepoint)
				db->guarded = db->autocommit_off;
			else
				db->autocommit_off = cmd[i] == autocommit_off;
			continue;
		}
		flight_failed(f, fail(db, mysql_errno(db->conn), "query", mysql_error(db->conn), cmd[i]),
		              db->last_errno);
	}
}

/* A failed statement's error that rolls back the whole transaction, not only the statement
 * (InnoDB; a lock wait timeout does only with innodb_rollback_on_timeout, and then the
 * savepoint is gone too). */
static bool rolls_back_tx(unsigned e)
{
	return e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT || e == ER_LOCK_TABLE_FULL;
}

/* Reads the answers of tx_check (n of it sent). The transaction is gone when the release
 * finds no savepoint (rolled back before it) or either command answers a deadlock (an abort
 * reported there). Then the flight answers told, the first error of its statements that
 * rolls back a transaction, or else a deadlock: a rollback that no statement was told of,
 * whatever they answered (a Galera abort the server did not report), is retried whole. */
static void check_recv(struct db *db, size_t n, unsigned told, struct flight_fail *f)
{
	bool gone = false, silent = false;
	for(size_t i = 0; i < n && db->connected; i++) {
		unsigned e;
		if(!db->conn->methods->db_read_query_result(db->conn))
			continue;
		e = mysql_errno(db->conn);
		if(db->guarded && (e == ER_LOCK_DEADLOCK || (i == 0 && e == ER_SP_DOES_NOT_EXIST))) {
			gone = true;
			silent = silent || (e == ER_SP_DOES_NOT_EXIST && !told);
			told = told ? told : ER_LOCK_DEADLOCK;
		} else {
			flight_failed(f, fail(db, e, "query", mysql_error(db->conn), tx_check[i]), db->last_errno);
		}
	}
	if(!gone)
		return;
	if(silent)
		log_warn("database: a transaction was rolled back under its statements without an error; answered as "
		         "a deadlock, so that it is rolled back and retried");
	db->rolled_back_under = true;
	f->result = WH_ERR_DB;
	f->e = told;
}

/* One round trip: the pre commands, the n statements and tx_check (struct flight_cmds), sent
 * together and answered in order. Every answer sent for is read, failures included, so the
 * connection stays in step; the first failure is returned with its number in last_errno
 * (a transaction found rolled back under the flight answers a deadlock), and every rows is
 * then released. */
static enum wh_err flight(struct db *db, const struct flight_cmds *c, const struct db_stmt *v, size_t n)
{
	MYSQL_STMT *stmts[DB_MANY_MAX];
	bool broken[DB_MANY_MAX] = {false};
	struct flight_sent sent = {0, 0, 0};
	struct flight_fail f = {WH_OK, 0};
	unsigned told = 0;
	enum wh_err result;

	if(n < 1 || n > DB_MANY_MAX)
		return WH_ERR_INTERNAL;
	result = flight_send(db, c, v, n, stmts, &sent);
	if(!db->connected)
		return WH_ERR_DB_DOWN; /* nothing more can be read */
	pre_recv(db, c->pre, sent.pre, &f);
	for(size_t i = 0; i < sent.stmts && db->connected; i++) {
		enum wh_err r = stmt_recv(db, stmts[i], &v[i], &broken[i]);
		if(r)
			flight_failed(&f, r, db->last_errno);
		if(r && !told && rolls_back_tx(db->last_errno))
			told = db->last_errno;
	}
	check_recv(db, sent.check, told, &f);
	for(size_t i = 0; i < sent.stmts && db->connected; i++)
		if(broken[i])
			stmt_drop(db, stmts[i]);
	if(result) /* a command that could not be sent */
		flight_failed(&f, result, db->last_errno ? db->last_errno : CR_UNKNOWN_ERROR);
	if(!db->connected)
		flight_failed(&f, WH_ERR_DB_DOWN, CR_SERVER_LOST);
	db->last_errno = f.e;
	for(size_t i = 0; i < n && f.result; i++)
		db_rows_release(v[i].rows);
	return f.result;
}

/* The plain commands of the next flight: before it, at the start of a deferred transaction,
 * autocommit off (when on) and the savepoint, or autocommit back on before a statement
 * outside any transaction (a deferred transaction leaves it off, so back-to-back writes don't
 * pay for turning it on and off); after it, tx_check inside a transaction that holds or sets
 * the savepoint. */
static struct flight_cmds flight_cmds_of(const struct db *db)
{
	struct flight_cmds c = {{NULL, NULL}, 0, false};
	if(!db->in_tx) {
		if(db->autocommit_off)
			c.pre[c.npre++] = autocommit_on;
	} else if(db->deferred && db->begin_pending) {
		if(!db->autocommit_off)
			c.pre[c.npre++] = autocommit_off;
		c.pre[c.npre++] = tx_savepoint;
		c.check = true;
	} else {
		c.check = db->guarded;
	}
	return c;
}

static enum wh_err exec_once(struct db *db, const struct db_stmt *v, size_t n)
{
	enum wh_err result;
	if(db->tx_lost) { /* never run the rest of a lost transaction on a new connection */
		db->last_errno = CR_SERVER_LOST;
		return WH_ERR_DB_DOWN;
	}
	result = db_connect(db);
	if(!result) {
		struct flight_cmds c = flight_cmds_of(db);
		result = flight(db, &c, v, n);
	}
	return result;
}

static void stmts_reset(const struct db_stmt *v, size_t n)
{
	for(size_t i = 0; i < n; i++) {
		if(v[i].rows)
			memset(v[i].rows, 0, sizeof(*v[i].rows));
		if(v[i].affected)
			*v[i].affected = 0;
	}
}

enum wh_err db_exec_many(struct db *db, const struct db_stmt *v, size_t n)
{
	stmts_reset(v, n);
	db->last_errno = 0;
	if(!db->in_tx || !db->deferred)
		return WH_ERR_INTERNAL;
	return exec_once(db, v, n);
}

enum wh_err db_exec(struct db *db, const char *sql, const struct db_param *params, size_t n, struct db_rows *rows,
                    uint64_t *affected)
{
	struct db_stmt v = {sql, params, n, rows, affected};
	enum wh_err result;
	bool was_tx = db->in_tx;
	stmts_reset(&v, 1);
	db->last_errno = 0;
	result = exec_once(db, &v, 1);
	if(result == WH_ERR_DB_DOWN && !was_tx)
		result = exec_once(db, &v, 1);
	return result;
}

/* Plain commands sent together and answered in order (pipelined, as a flight); every answer
 * is read, the first failure returned. *ok counts the commands that succeeded before it. */
static enum wh_err commands(struct db *db, const char *const *sql, size_t n, size_t *ok)
{
	enum wh_err result = db_connect(db), first = WH_OK;
	size_t sent = 0;
	*ok = 0;
	if(result)
		return result;
	skip_reads(db, true);
	first = plain_send(db, sql, n, &sent);
	if(db->connected)
		skip_reads(db, false);
	for(size_t i = 0; i < sent && db->connected; i++) {
		if(db->conn->methods->db_read_query_result(db->conn)) {
			unsigned e = mysql_errno(db->conn);
			result = fail(db, e, "query", mysql_error(db->conn), sql[i]);
			if(!first) {
				first = result;
				db->last_errno = e;
			}
		} else if(!first) {
			(*ok)++;
		}
	}
	if(!db->connected && !first) {
		first = WH_ERR_DB_DOWN;
		db->last_errno = CR_SERVER_LOST;
	}
	return first;
}

static enum wh_err begin_once(struct db *db)
{
	const char *sql[] = {autocommit_off, "START TRANSACTION", tx_savepoint};
	size_t skip = 0, ok = 0;
	enum wh_err result = db_connect(db);
	if(result)
		return result;
	if(db->autocommit_off)
		skip = 1; /* off since an earlier transaction */
	result = commands(db, sql + skip, 3 - skip, &ok);
	if(!skip && ok >= 1)
		db->autocommit_off = true;
	if(result && ok >= 2 - skip && db->connected && mysql_real_query(db->conn, "ROLLBACK", 8))
		fail(db, mysql_errno(db->conn), "rollback", mysql_error(db->conn), "ROLLBACK");
	return result;
}

enum wh_err db_begin(struct db *db)
{
	enum wh_err result;
	db->last_errno = 0;
	db->tx_lost = db->rolled_back_under = false;
	result = begin_once(db);
	if(result == WH_ERR_DB_DOWN)
		result = begin_once(db);
	if(!result)
		db->in_tx = db->guarded = true;
	return result;
}

void db_begin_deferred(struct db *db)
{
	db->last_errno = 0;
	db->tx_lost = db->rolled_back_under = false;
	db->in_tx = db->deferred = db->begin_pending = true;
}

/* A guarded transaction's COMMIT goes with the savepoint's release, in one round trip. Every
 * statement ran before its flight's check, so a release that finds no savepoint or answers a
 * deadlock means the transaction was rolled back after that check, and the COMMIT behind it
 * committed an empty one: answered as a deadlock. A release failing otherwise rolls nothing
 * back: the COMMIT's answer stands. */
static enum wh_err commit_guarded(struct db *db)
{
	static const char commit[] = "COMMIT";
	static const char *const cmd[] = {tx_release, commit};
	enum wh_err result, released = WH_OK;
	bool gone = false;
	size_t sent = 0;
	skip_reads(db, true);
	result = plain_send(db, cmd, 2, &sent);
	db->commit_sent = sent >= 1; /* the release went: the COMMIT's send began, it may have reached the server */
	if(db->connected)
		skip_reads(db, false);
	if(sent >= 1 && db->connected && db->conn->methods->db_read_query_result(db->conn)) {
		unsigned e = mysql_errno(db->conn);
		gone = e == ER_SP_DOES_NOT_EXIST || e == ER_LOCK_DEADLOCK;
		if(e == ER_SP_DOES_NOT_EXIST)
			log_warn(
			    "database: a transaction was rolled back under its statements without an error, before "
			    "its COMMIT; answered as a deadlock, so that it is retried");
		else if(!gone)
			released = fail(db, e, "release savepoint", mysql_error(db->conn), tx_release);
	}
	if(sent == 2 && db->connected && db->conn->methods->db_read_query_result(db->conn)) {
		enum wh_err r = fail(db, mysql_errno(db->conn), "commit", mysql_error(db->conn), commit);
		if(!result)
			result = r;
	}
	if(gone) {
		db->last_errno = ER_LOCK_DEADLOCK;
		return WH_ERR_DB;
	}
	if(released == WH_ERR_DB_DOWN) /* the COMMIT's answer is lost with it */
		return released;
	if(!result && !db->connected) {
		db->last_errno = CR_SERVER_LOST;
		return WH_ERR_DB_DOWN;
	}
	if(!result)
		db->last_errno = 0;
	return result;
}

/* COMMIT goes to the transaction's own connection or nowhere: a reconnect would commit an
 * empty transaction and report success. */
enum wh_err db_commit(struct db *db)
{
	enum wh_err result;
	db->commit_sent = false;
	if(db->in_tx && db->begin_pending) { /* nothing was sent: nothing to commit */
		db->in_tx = db->deferred = db->begin_pending = false;
		return WH_OK;
	}
	if(!db->in_tx || !db->connected) {
		db->last_errno = CR_SERVER_LOST; /* lost before COMMIT: nothing was committed */
		db->in_tx = db->deferred = db->guarded = false;
		return WH_ERR_DB_DOWN;
	}
	if(db->rolled_back_under) { /* what ran after the rollback (a flight answered a deadlock) */
		result = mysql_real_query(db->conn, "ROLLBACK", 8)
		             ? fail(db, mysql_errno(db->conn), "rollback", mysql_error(db->conn), "ROLLBACK")
		             : WH_ERR_DB;
		if(result == WH_ERR_DB)
			db->last_errno = ER_LOCK_DEADLOCK;
	} else if(db->guarded) {
		result = commit_guarded(db);
	} else {
		db->last_errno = 0;
		db->commit_sent = true;
		result = mysql_real_query(db->conn, "COMMIT", 6)
		             ? fail(db, mysql_errno(db->conn), "commit", mysql_error(db->conn), "COMMIT")
		             : WH_OK;
	}
	db->in_tx = db->deferred = db->guarded = db->rolled_back_under = false;
	db->tx_lost = false;
	return result;
}

void db_rollback(struct db *db)
{
	if(db->connected && db->in_tx && !db->begin_pending && mysql_real_query(db->conn, "ROLLBACK", 8))
		fail(db, mysql_errno(db->conn), "rollback", mysql_error(db->conn), "ROLLBACK");
	db->in_tx = db->deferred = db->begin_pending = db->guarded = db->rolled_back_under = false;
	db->tx_lost = false;
}

bool db_commit_sent(const struct db *db)
{
	return db->commit_sent;
}

bool db_in_tx(const struct db *db)
{
	return db->in_tx || db->tx_lost;
}

unsigned db_last_errno(const struct db *db)
{
	return db->last_errno;
}

bool db_last_retryable(const struct db *db)
{
	return txfate_of(WH_ERR_DB, db->last_errno, false) == TXFATE_RETRY;
}

uint64_t db_insert_id(const struct db *db)
{
	return db->insert_id;
}

enum wh_err db_run_script(struct db *db, const char *sql)
{
	enum wh_err result = db_connect(db);
	int status;
	if(result)
		return result;
	if(db->autocommit_off) { /* left off by a transaction: a script's writes commit as it runs */
		if(mysql_real_query(db->conn, autocommit_on, strlen(autocommit_on)))
			return fail(db, mysql_errno(db->conn), "query", mysql_error(db->conn), autocommit_on);
		db->autocommit_off = false;
	}
	mysql_set_server_option(db->conn, MYSQL_OPTION_MULTI_STATEMENTS_ON);
	if(mysql_real_query(db->conn, sql, strlen(sql))) {
		result = fail(db, mysql_errno(db->conn), "script", mysql_error(db->conn), sql);
		goto out;
	}
	do {
		MYSQL_RES *res = mysql_store_result(db->conn);
		if(res)
			mysql_free_result(res);
		status = mysql_next_result(db->conn);
		if(status > 0) {
			result = fail(db, mysql_errno(db->conn), "script", mysql_error(db->conn), sql);
			goto out;
		}
	} while(status == 0);
out:
	if(db->connected)
		mysql_set_server_option(db->conn, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	return result;
}

const char *db_rows_get(const struct db_rows *rows, size_t r, size_t c)
{
	if(r >= rows->nrows || c >= rows->ncols)
		return NULL;
	return rows->cells[r * rows->ncols + c].val;
}

size_t db_rows_len(const struct db_rows *rows, size_t r, size_t c)
{
	if(r >= rows->nrows || c >= rows->ncols)
		return 0;
	return rows->cells[r * rows->ncols + c].len;
}

long long db_rows_i64(const struct db_rows *rows, size_t r, size_t c)
{
	const char *v = db_rows_get(rows, r, c);
	return v ? strtoll(v, NULL, 10) : 0;
}

void db_rows_release(struct db_rows *rows)
{
	if(!rows)
		return;
	free(rows->cells); /* the values live in the same block */
	memset(rows, 0, sizeof(*rows));
}
