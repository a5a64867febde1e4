/* The ?since= and ?until= of the searches (SPEC §14): ISO-8601 UTC times as answers carry
 * them, since inclusive, until exclusive. */
#ifndef WH_TIMERANGE_H
#define WH_TIMERANGE_H

#include "fcgi-app/core/http.h"

struct timerange {
	long long since; /* ms; 0 when absent */
	long long until; /* ms; TIMERANGE_OPEN when absent */
};
#define TIMERANGE_OPEN 0x7fffffffffffffffLL

/* Reads both; 400 naming since or until when one is not a time, or until is not later. */
enum wh_err timerange_query(struct request *req, struct timerange *tr);

#endif
