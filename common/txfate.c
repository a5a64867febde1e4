/* Classification of transaction failures into retry, fail or unknown fate. */
#include "common/txfate.h"

#include <errmsg.h>
#include <mysqld_error.h>

bool txfate_connection_lost(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
	       e == CR_CONN_HOST_ERROR || e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
	       e == ER_SERVER_SHUTDOWN || e == CR_COMMANDS_OUT_OF_SYNC || e == ER_UNKNOWN_COM_ERROR;
}

enum txfate txfate_of(enum wh_err result, unsigned server_errno, bool at_commit)
{
	if(!result)
		return TXFATE_DONE;
	if(server_errno == ER_LOCK_DEADLOCK || server_errno == ER_LOCK_WAIT_TIMEOUT)
		return TXFATE_RETRY;
	if(result == WH_ERR_DB_DOWN && txfate_connection_lost(server_errno))
		return at_commit ? TXFATE_UNKNOWN : TXFATE_RETRY;
	return TXFATE_FAILED;
}

enum wh_err txfate_exhausted(unsigned server_errno)
{
	return txfate_connection_lost(server_errno) ? WH_ERR_DB_DOWN : WH_ERR_DB_BUSY;
}

const char *txfate_reason(unsigned server_errno)
{
	if(server_errno == ER_LOCK_DEADLOCK)
		return "deadlock";
	if(server_errno == ER_LOCK_WAIT_TIMEOUT)
		return "lock wait timeout";
	if(txfate_connection_lost(server_errno))
		return "connection lost";
	return "failure";
}
