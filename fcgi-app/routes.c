/* The route table of the API. Order matters only between patterns that both match. */
#include "fcgi-app/handlers.h"

const struct route routes[] = {
	{"GET", "/v2/health", health_get, true},
	{"GET", "/v2/account", account_get, false},

	/* webhooks */
	{"POST", "/v2/webhooks", webhooks_create, false},
	{"GET", "/v2/webhooks", webhooks_list, false},
	{"GET", "/v2/webhooks/:id", webhooks_get, false},
	{"PUT", "/v2/webhooks/:id", webhooks_update, false},
	{"PATCH", "/v2/webhooks/:id", webhooks_update, false},
	{"POST", "/v2/webhooks/:id", webhooks_update, false},
	{"DELETE", "/v2/webhooks/:id", webhooks_delete, false},
	{"POST", "/v2/webhooks/:id/rotate-secret", webhooks_rotate_secret, false},
	{"POST", "/v2/webhooks/:id/test", webhooks_test, false},

	/* deliveries */

	/* locations */

	/* visits */

	/* messages */

	/* location status */

	/* events */

	/* openapi */
	{"GET", "/v2/openapi.json", openapi_get, true},

	/* metrics */

	{NULL, NULL, NULL, false},
};
