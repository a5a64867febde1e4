/* Every route handler, grouped by the file that implements it. */
#ifndef WH_HANDLERS_H
#define WH_HANDLERS_H
#include "fcgi-app/router.h"

/* health.c */
enum wh_err health_get(struct request *req);

/* account.c */
enum wh_err account_get(struct request *req);

/* webhooks.c */
enum wh_err webhooks_create(struct request *req);
enum wh_err webhooks_list(struct request *req);
enum wh_err webhooks_get(struct request *req);
enum wh_err webhooks_update(struct request *req); /* PUT, PATCH and POST */
enum wh_err webhooks_delete(struct request *req);
enum wh_err webhooks_rotate_secret(struct request *req);
enum wh_err webhooks_test(struct request *req);

/* deliveries.c (endpoint activity) */
enum wh_err deliveries_list(struct request *req);
enum wh_err deliveries_get(struct request *req);
enum wh_err deliveries_resend(struct request *req);
enum wh_err webhooks_recover(struct request *req);

/* locations.c */
enum wh_err location_create(struct request *req);
enum wh_err location_list(struct request *req);
enum wh_err location_get(struct request *req);
enum wh_err location_update(struct request *req);
enum wh_err location_delete(struct request *req);

/* visits.c */
enum wh_err visit_create(struct request *req);
enum wh_err visit_list(struct request *req);
enum wh_err visit_get(struct request *req);
enum wh_err visit_update(struct request *req);
enum wh_err visit_delete(struct request *req);

/* messages.c */
enum wh_err message_create(struct request *req);
enum wh_err message_list(struct request *req);
enum wh_err message_get(struct request *req);
enum wh_err message_update(struct request *req);

/* location_status.c */
enum wh_err location_status_get(struct request *req);
enum wh_err location_status_update(struct request *req);

/* events.c */
enum wh_err event_list(struct request *req);

/* openapi_get.c */
enum wh_err openapi_get(struct request *req);

/* metrics.c */
enum wh_err metrics_get(struct request *req);

#endif
