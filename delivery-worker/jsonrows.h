/* Rows of statement parameters as one JSON document, for statements that read a whole
 * batch through JSON_TABLE(?, ...): one text, prepared once, whatever the batch's size
 * (where a multi-row text needs a shape per row count and a statement per chunk). */
#ifndef WH_JSONROWS_H
#define WH_JSONROWS_H
#include <stddef.h>
#include <stdint.h>

#include "common/db.h"

/* The nrows x ncols parameters of p (row-major) as a JSON array of arrays: a string as a
 * JSON string, an integer as a number, NULL as null (ncols 1: an array of the values
 * themselves). Blobs are not supported (a caller bug: abort). New: free() it. */
char *jsonrows_text(const struct db_param *p, size_t nrows, size_t ncols);

/* Executes sql, whose one parameter is the rows as jsonrows_text gives them (no result set);
 * adds the affected rows to *affected when it is not NULL. Nothing is executed when nrows is
 * 0. Errors as db_exec. */
enum wh_err jsonrows_exec(struct db *db, const char *sql, const struct db_param *p, size_t nrows, size_t ncols,
                          uint64_t *affected);

#endif
