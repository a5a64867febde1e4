/* The route table of the API. Order matters only between patterns that both match. */
#include "fcgi-app/handlers.h"

const struct route routes[] = {
	{"GET", "/v2/health", health_get, true},
	{"GET", "/v2/account", account_get, false},

	/* webhooks */

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
