/* What a failed step of a database transaction means for the transaction as a whole: the
 * one place that decides whether a write is retried whole, fails, or has an unknown fate.
 * Both binaries' transaction runners ask it; a cluster (Galera) adds its error numbers here.
 *
 *   result = db_commit(db);
 *   switch(txfate_of(result, db_last_errno(db), true)) { ... }
 */
#ifndef WH_TXFATE_H
#define WH_TXFATE_H
#include <stdbool.h>

#include "common/err.h"

enum txfate {
	TXFATE_DONE,    /* no failure (result was WH_OK) */
	TXFATE_FAILED,  /* the transaction failed for good: roll back, answer the error */
	TXFATE_RETRY,   /* the server rolled it back or will: run the whole transaction again */
	TXFATE_UNKNOWN, /* the connection went during COMMIT: it may or may not have committed */
};

/* Classifies a failed step. result is the step's error, server_errno the database error
 * number of the last call (db_last_errno), at_commit whether the step was the COMMIT.
 * Retried: deadlock (1213, also a Galera certification conflict) and lock wait timeout
 * (1205) anywhere, a lost connection before COMMIT (the server rolls back an
 * unfinished transaction of a dropped connection). A lost connection during COMMIT is
 * unknown. Anything else fails. */
enum txfate txfate_of(enum wh_err result, unsigned server_errno, bool at_commit);

/* What a transaction answers when it still met TXFATE_RETRY on its last run: nothing was
 * written, so never a 500. WH_ERR_DB_BUSY (503) after conflicts (a hot row written through
 * several Galera nodes at once), WH_ERR_DB_DOWN (503) after lost connections. */
enum wh_err txfate_exhausted(unsigned server_errno);

/* True when server_errno (a server or client error number) means the connection is gone.
 * 1047 (ER_UNKNOWN_COM_ERROR) is Galera's "WSREP has not yet prepared node for application
 * use": the node left the primary component, and another node can serve. */
bool txfate_connection_lost(unsigned server_errno);

/* A short name of a retried failure for the log: "deadlock", "lock wait timeout",
 * "connection lost" (static string). */
const char *txfate_reason(unsigned server_errno);

#endif
