/* Which failed transaction steps are retried whole, which fail and which have an unknown fate. */
#include <errmsg.h>
#include <mysqld_error.h>

#include "common/txfate.h"
#include "tests/unit/test.h"

TEST_SUITE(txfate_classification)
{
	CHECK(txfate_of(WH_OK, 0, false) == TXFATE_DONE);
	CHECK(txfate_of(WH_OK, 0, true) == TXFATE_DONE);
	/* Deadlock (also a Galera certification conflict) and lock wait: retried, at COMMIT too. */
	CHECK(txfate_of(WH_ERR_DB, ER_LOCK_DEADLOCK, false) == TXFATE_RETRY);
	CHECK(txfate_of(WH_ERR_DB, ER_LOCK_DEADLOCK, true) == TXFATE_RETRY);
	CHECK(txfate_of(WH_ERR_DB, ER_LOCK_WAIT_TIMEOUT, false) == TXFATE_RETRY);
	/* A lost connection: retried before COMMIT, unknown during it. */
	CHECK(txfate_of(WH_ERR_DB_DOWN, CR_SERVER_LOST, false) == TXFATE_RETRY);
	CHECK(txfate_of(WH_ERR_DB_DOWN, CR_SERVER_GONE_ERROR, false) == TXFATE_RETRY);
	CHECK(txfate_of(WH_ERR_DB_DOWN, ER_CONNECTION_KILLED, false) == TXFATE_RETRY);
	CHECK(txfate_of(WH_ERR_DB_DOWN, CR_SERVER_LOST, true) == TXFATE_UNKNOWN);
	CHECK(txfate_of(WH_ERR_DB_DOWN, ER_SERVER_SHUTDOWN, true) == TXFATE_UNKNOWN);
	/* Everything else fails: a duplicate key, a validation error, a refused connection
	 * reported without a connection error number. */
	CHECK(txfate_of(WH_ERR_DB, ER_DUP_ENTRY, false) == TXFATE_FAILED);
	CHECK(txfate_of(WH_ERR_DB, ER_DUP_ENTRY, true) == TXFATE_FAILED);
	CHECK(txfate_of(WH_ERR_INVALID, 0, false) == TXFATE_FAILED);
	CHECK(txfate_of(WH_ERR_CONFLICT, 0, true) == TXFATE_FAILED);
	CHECK(txfate_of(WH_ERR_DB_DOWN, 0, true) == TXFATE_FAILED);
	CHECK(txfate_of(WH_ERR_DB, CR_SERVER_LOST, false) == TXFATE_FAILED);
	CHECK(txfate_connection_lost(CR_SERVER_LOST) && !txfate_connection_lost(ER_LOCK_DEADLOCK));
	CHECK_STR(txfate_reason(ER_LOCK_DEADLOCK), "deadlock");
	CHECK_STR(txfate_reason(ER_LOCK_WAIT_TIMEOUT), "lock wait timeout");
	CHECK_STR(txfate_reason(CR_SERVER_LOST), "connection lost");
}

TEST_SUITE(txfate_galera)
{
	/* A node that left the primary component answers 1047: another node can serve. */
	CHECK(txfate_connection_lost(ER_UNKNOWN_COM_ERROR));
	CHECK(txfate_of(WH_ERR_DB_DOWN, ER_UNKNOWN_COM_ERROR, false) == TXFATE_RETRY);
	CHECK(txfate_of(WH_ERR_DB_DOWN, ER_UNKNOWN_COM_ERROR, true) == TXFATE_UNKNOWN);
	/* Retries used up: a 503 either way, never a 500. */
	CHECK(txfate_exhausted(ER_LOCK_DEADLOCK) == WH_ERR_DB_BUSY);
	CHECK(txfate_exhausted(ER_LOCK_WAIT_TIMEOUT) == WH_ERR_DB_BUSY);
	CHECK(txfate_exhausted(CR_SERVER_LOST) == WH_ERR_DB_DOWN);
	CHECK(wh_err_http_status(WH_ERR_DB_BUSY) == 503);
	CHECK_STR(wh_err_code(WH_ERR_DB_BUSY), "database_busy");
}
