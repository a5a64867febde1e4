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

/* locations.c */

/* visits.c */

/* messages.c */

/* location_status.c */

/* events.c */

/* openapi_get.c */
enum wh_err openapi_get(struct request *req);

/* metrics.c */

#endif
