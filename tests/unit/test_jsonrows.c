/* A batch's rows as one JSON parameter (delivery-worker/jsonrows.h): the exact text that
 * JSON_TABLE reads, escaping and NULL included. */
#include <stdlib.h>

#include "delivery-worker/jsonrows.h"
#include "tests/unit/test.h"

TEST_SUITE(jsonrows_text_rows_and_values)
{
	struct db_param rows[] = {db_str("a1"), db_i64(-5), db_null(), db_str("q\"\\\n"), db_i64(9007199254740993LL),
	                          db_str(NULL)};
	char *text = jsonrows_text(rows, 2, 3);
	CHECK_STR(text, "[[\"a1\",-5,null],[\"q\\\"\\\\\\n\",9007199254740993,null]]");
	free(text);
	text = jsonrows_text(rows, 1, 1); /* one column: the values themselves */
	CHECK_STR(text, "[\"a1\"]");
	free(text);
	text = jsonrows_text(rows, 0, 3);
	CHECK_STR(text, "[]");
	free(text);
}
