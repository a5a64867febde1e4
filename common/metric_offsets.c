/* Offsets of the monotonic counters. */
#include "common/metric_offsets.h"

enum wh_err metric_offset_add(struct db *db, const char *metric, const char *label, long long n)
{
	static const char sql[] = "INSERT INTO metric_offsets (metric, label, value) VALUES (?, ?, ?) "
	                          "ON DUPLICATE KEY UPDATE value = value + VALUES(value)";
	if(n <= 0)
		return WH_OK;
	return db_exec(db, sql, DBP(db_str(metric), db_str(label), db_i64(n)), NULL, NULL);
}
