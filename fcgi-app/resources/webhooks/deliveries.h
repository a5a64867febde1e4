/* The deliveries route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_WEBHOOKS_DELIVERIES_H
#define WH_RESOURCES_WEBHOOKS_DELIVERIES_H
#include "fcgi-app/core/router.h"

/* The columns delivery_json reads, in order. */
#define DELIVERY_COLS                                                                                                  \
	"id, event_id, event_type, status, attempts, last_status_code, last_error, last_attempt_at, "                  \
	"next_attempt_at, created, seq, webhook_id"

/* One delivery as the API answers it, from row r of DELIVERY_COLS rows. New reference. */
json_t *delivery_json(const struct db_rows *rows, size_t r);

enum wh_err deliveries_get(struct request *req);
enum wh_err deliveries_resend(struct request *req);
enum wh_err webhooks_recover(struct request *req);

#endif
