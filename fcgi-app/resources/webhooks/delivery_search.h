/* Searching deliveries (SPEC §5, §14): GET /v2/deliveries (account-wide) and
 * GET /v2/webhooks/{id}/deliveries, with the filters webhookId (account-wide only), status,
 * eventType, since, until, and limit/startAfter; newest first (by created, then seq). */
#ifndef WH_RESOURCES_WEBHOOKS_DELIVERY_SEARCH_H
#define WH_RESOURCES_WEBHOOKS_DELIVERY_SEARCH_H
#include "fcgi-app/core/router.h"

enum wh_err deliveries_list(struct request *req);
enum wh_err deliveries_search(struct request *req);

#endif
