/* Rows of statement parameters as one JSON document (JSON_TABLE batches). */
#include "delivery-worker/jsonrows.h"

#include <jansson.h>
#include <stdlib.h>

/* A caller bug aborts: a blob, or a string that is not UTF-8 (ids, statuses and error
 * classes are ASCII). */
static json_t *value(const struct db_param *p)
{
	json_t *v = NULL;
	if(p->type == DB_P_NULL)
		v = json_null();
	else if(p->type == DB_P_STR)
		v = json_stringn(p->ptr, p->len);
	else if(p->type == DB_P_I64)
		v = json_integer(p->i);
	if(!v)
		abort();
	return v;
}

char *jsonrows_text(const struct db_param *p, size_t nrows, size_t ncols)
{
	json_t *all = json_array();
	char *text;
	for(size_t r = 0; r < nrows; r++) {
		json_t *row = ncols == 1 ? value(&p[r]) : json_array();
		for(size_t c = 0; ncols > 1 && c < ncols; c++)
			json_array_append_new(row, value(&p[r * ncols + c]));
		json_array_append_new(all, row);
	}
	text = json_dumps(all, JSON_COMPACT);
	json_decref(all);
	if(!text)
		abort(); /* out of memory */
	return text;
}

enum wh_err jsonrows_exec(struct db *db, const char *sql, const struct db_param *p, size_t nrows, size_t ncols,
                          uint64_t *affected)
{
	uint64_t n = 0;
	char *json;
	enum wh_err result;
	if(!nrows)
		return WH_OK;
	json = jsonrows_text(p, nrows, ncols);
	result = db_exec(db, sql, DBP(db_str(json)), NULL, &n);
	free(json);
	if(!result && affected)
		*affected += n;
	return result;
}
