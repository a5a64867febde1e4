/* The route table of the API. Order matters only between patterns that both match. */
#include "fcgi-app/handlers.h"

const struct route routes[] = {
	{"GET", "/v2/health", health_get, true},
	{"GET", "/v2/account", account_get, false},

	/* webhooks */

	/* deliveries */
	{"GET", "/v2/webhooks/:id/deliveries", deliveries_list, false},
	{"GET", "/v2/webhooks/:id/deliveries/:deliveryId", deliveries_get, false},
	{"POST", "/v2/webhooks/:id/deliveries/:deliveryId/resend", deliveries_resend, false},
	{"POST", "/v2/webhooks/:id/recover", webhooks_recover, false},

	/* locations */

	/* visits */

	/* messages */

	/* location status */

	/* events */

	/* openapi */
	{"GET", "/v2/openapi.json", openapi_get, true},

	/* metrics */
	{"GET", "/metrics", metrics_get, true},

	{NULL, NULL, NULL, false},
};
