/* Every route handler, grouped by the file that implements it. */
#ifndef WH_HANDLERS_H
#define WH_HANDLERS_H
#include "fcgi-app/router.h"

/* health.c */
enum wh_err health_get(struct request *req);

/* account.c */
enum wh_err account_get(struct request *req);

/* webhooks.c */

/* deliveries.c (endpoint activity) */
enum wh_err deliveries_list(struct request *req);
enum wh_err deliveries_get(struct request *req);
enum wh_err deliveries_resend(struct request *req);
enum wh_err webhooks_recover(struct request *req);

/* locations.c */

/* visits.c */

/* messages.c */

/* location_status.c */

/* events.c */

/* openapi_get.c */
enum wh_err openapi_get(struct request *req);

/* metrics.c */
enum wh_err metrics_get(struct request *req);

#endif
