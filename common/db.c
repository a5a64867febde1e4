/* MariaDB Connector/C wrapper: connection, reconnect, statement cache, result copying. */
#include "common/db.h"

#include <mysql.h>
#include <mysqld_error.h>
#include <stdlib.h>

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
	unsigned last_errno;
	uint64_t insert_id;
	struct stmt_entry *stmts;
	size_t nstmts, capstmts;
	char *socket, *host, *user, *password, *name;
	unsigned port;
};

static void db_disconnect(struct db *db)
{
	for(size_t i = 0; i < db->nstmts; i++)
		mysql_stmt_close(db->stmts[i].stmt);
	db->nstmts = 0;
	if(db->conn)
		mysql_close(db->conn);
	db->conn = NULL;
	db->connected = false;
	db->in_tx = false;
}

static enum wh_err db_connect(struct db *db)
{
	unsigned timeout = 3;
	unsigned rw_timeout = 60;
	const char *init = "SET SESSION tx_isolation = 'READ-COMMITTED', time_zone = '+00:00'";
	const char *sock = db->socket[0] ? db->socket : NULL;
	if(db->connected)
		return WH_OK;
	db_disconnect(db);
	db->conn = mysql_init(NULL);
	if(!db->conn)
		return WH_ERR_DB_DOWN;
	mysql_options(db->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(db->conn, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
	mysql_options(db->conn, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
	mysql_options(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(db->conn, MYSQL_INIT_COMMAND, init);
	if(!mysql_real_connect(db->conn, sock ? "localhost" : db->host, db->user, db->password, db->name, db->port,
	                       sock, CLIENT_FOUND_ROWS)) {
		db->last_errno = mysql_errno(db->conn);
		log_warn("database connect failed: %s", mysql_error(db->conn));
		mysql_close(db->conn);
		db->conn = NULL;
		return WH_ERR_DB_DOWN;
	}
	db->connected = true;
	return WH_OK;
}

enum wh_err db_open(struct db **out, const struct config *cfg)
{
	struct db *db = xcalloc(1, sizeof(*db));
	db->socket = xstrdup(config_str(cfg, CFG_DB_SOCKET));
	db->host = xstrdup(config_str(cfg, CFG_DB_HOST));
	db->user = xstrdup(config_str(cfg, CFG_DB_USER));
	db->password = xstrdup(config_str(cfg, CFG_DB_PASSWORD));
	db->name = xstrdup(config_str(cfg, CFG_DB_NAME));
	db->port = (unsigned)config_int(cfg, CFG_DB_PORT);
	*out = db;
	return db_connect(db);
}

void db_free(struct db *db)
{
	if(!db)
		return;
	db_disconnect(db);
	free(db->stmts);
	free(db->socket);
	free(db->host);
	free(db->user);
	xfree_secret(db->password, strlen(db->password));
	free(db->name);
	free(db);
}

static enum wh_err fail(struct db *db, unsigned e, const char *what, const char *msg, const char *sql)
{
	db->last_errno = e;
	if(txfate_connection_lost(e)) {
		log_warn("database connection lost (%s): %s", what, msg);
		db_disconnect(db);
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

static enum wh_err fetch_rows(struct db *db, MYSQL_STMT *stmt, MYSQL_RES *meta, struct db_rows *rows)
{
	enum wh_err result = WH_OK;
	unsigned ncols = mysql_num_fields(meta);
	MYSQL_FIELD *fields = mysql_fetch_fields(meta);
	MYSQL_BIND *b = xcalloc(ncols, sizeof(*b));
	unsigned long *lens = xcalloc(ncols, sizeof(*lens));
	my_bool *nulls = xcalloc(ncols, sizeof(*nulls));
	char **bufs = xcalloc(ncols, sizeof(*bufs));
	size_t cap = 0;
	int rc;

	rows->ncols = ncols;
	for(unsigned c = 0; c < ncols; c++) {
		unsigned long size = fields[c].max_length > 64 ? fields[c].max_length : 64;
		bufs[c] = xmalloc(size + 1);
		b[c].buffer_type = MYSQL_TYPE_STRING;
		b[c].buffer = bufs[c];
		b[c].buffer_length = size;
		b[c].length = &lens[c];
		b[c].is_null = &nulls[c];
	}
	if(mysql_stmt_bind_result(stmt, b)) {
		result = fail(db, mysql_stmt_errno(stmt), "bind result", mysql_stmt_error(stmt), "");
		goto out;
	}
	while((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if(rows->nrows == cap) {
			cap = cap ? cap * 2 : 8;
			rows->cells = xrealloc(rows->cells, cap * ncols * sizeof(*rows->cells));
		}
		memset(&rows->cells[rows->nrows * ncols], 0, ncols * sizeof(*rows->cells));
		for(unsigned c = 0; c < ncols; c++) {
			struct db_cell *cell = &rows->cells[rows->nrows * ncols + c];
			if(nulls[c]) {
				cell->val = NULL;
				cell->len = 0;
				continue;
			}
			cell->len = lens[c];
			cell->val = xmalloc(lens[c] + 1);
			if(lens[c] > b[c].buffer_length) {
				MYSQL_BIND one = {0};
				one.buffer_type = MYSQL_TYPE_STRING;
				one.buffer = cell->val;
				one.buffer_length = lens[c];
				if(mysql_stmt_fetch_column(stmt, &one, c, 0)) {
					rows->nrows++; /* its cells so far are released with the rows */
					result = fail(db, mysql_stmt_errno(stmt), "fetch column",
					              mysql_stmt_error(stmt), "");
					goto out;
				}
			} else {
				memcpy(cell->val, bufs[c], lens[c]);
			}
			cell->val[lens[c]] = '\0';
		}
		rows->nrows++;
	}
	if(rc == 1)
		result = fail(db, mysql_stmt_errno(stmt), "fetch", mysql_stmt_error(stmt), "");
out:
	for(unsigned c = 0; c < ncols; c++)
		free(bufs[c]);
	free(bufs);
	free(b);
	free(lens);
	free(nulls);
	return result;
}

static enum wh_err exec_once(struct db *db, const char *sql, const struct db_param *params, size_t n,
                             struct db_rows *rows, uint64_t *affected)
{
	enum wh_err result = WH_OK;
	MYSQL_BIND *b = NULL;
	long long *ints = NULL;
	my_bool *nulls = NULL;
	MYSQL_RES *meta = NULL;
	MYSQL_STMT *stmt;
	my_bool update_max = 1;

	result = db_connect(db);
	if(result)
		return result;
	stmt = stmt_get(db, sql, &result);
	if(!stmt)
		return result;
	if(n) {
		b = xcalloc(n, sizeof(*b));
		ints = xcalloc(n, sizeof(*ints));
		nulls = xcalloc(n, sizeof(*nulls));
		bind_params(b, params, n, ints, nulls);
		if(mysql_stmt_bind_param(stmt, b)) {
			result = fail(db, mysql_stmt_errno(stmt), "bind", mysql_stmt_error(stmt), sql);
			goto out;
		}
	}
	if(mysql_stmt_execute(stmt)) {
		result = fail(db, mysql_stmt_errno(stmt), "execute", mysql_stmt_error(stmt), sql);
		goto out;
	}
	if(affected)
		*affected = mysql_stmt_affected_rows(stmt);
	db->insert_id = mysql_stmt_insert_id(stmt);
	meta = mysql_stmt_result_metadata(stmt);
	if(meta) {
		mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
		if(mysql_stmt_store_result(stmt)) {
			result = fail(db, mysql_stmt_errno(stmt), "store", mysql_stmt_error(stmt), sql);
			goto out;
		}
		if(rows)
			result = fetch_rows(db, stmt, meta, rows);
	}
out:
	if(meta)
		mysql_free_result(meta);
	if(db->connected)
		mysql_stmt_free_result(stmt);
	free(b);
	free(ints);
	free(nulls);
	return result;
}

enum wh_err db_exec(struct db *db, const char *sql, const struct db_param *params, size_t n, struct db_rows *rows,
                    uint64_t *affected)
{
	enum wh_err result;
	bool was_tx = db->in_tx;
	if(rows)
		memset(rows, 0, sizeof(*rows));
	if(affected)
		*affected = 0;
	db->last_errno = 0;
	result = exec_once(db, sql, params, n, rows, affected);
	if(result == WH_ERR_DB_DOWN && !was_tx) {
		if(rows)
			db_rows_release(rows);
		result = exec_once(db, sql, params, n, rows, affected);
	}
	if(result && rows)
		db_rows_release(rows);
	return result;
}

static enum wh_err simple(struct db *db, const char *sql)
{
	enum wh_err result = db_connect(db);
	if(result)
		return result;
	if(mysql_real_query(db->conn, sql, strlen(sql)))
		return fail(db, mysql_errno(db->conn), "query", mysql_error(db->conn), sql);
	return WH_OK;
}

enum wh_err db_begin(struct db *db)
{
	enum wh_err result;
	db->last_errno = 0;
	result = simple(db, "START TRANSACTION");
	if(result == WH_ERR_DB_DOWN)
		result = simple(db, "START TRANSACTION");
	if(!result)
		db->in_tx = true;
	return result;
}

enum wh_err db_commit(struct db *db)
{
	enum wh_err result = simple(db, "COMMIT");
	db->in_tx = false;
	return result;
}

void db_rollback(struct db *db)
{
	if(db->connected && db->in_tx && mysql_real_query(db->conn, "ROLLBACK", 8))
		fail(db, mysql_errno(db->conn), "rollback", mysql_error(db->conn), "ROLLBACK");
	db->in_tx = false;
}

bool db_in_tx(const struct db *db)
{
	return db->in_tx;
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
	for(size_t i = 0; i < rows->nrows * rows->ncols; i++)
		free(rows->cells[i].val);
	free(rows->cells);
	memset(rows, 0, sizeof(*rows));
}
