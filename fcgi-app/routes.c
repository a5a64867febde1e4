/* The route table of the API. Order matters only between patterns that both match. */
#include "fcgi-app/handlers.h"

const struct route routes[] = {
	{"GET", "/v2/health", health_get, true},
	{"GET", "/v2/account", account_get, false},

	/* webhooks */

	/* deliveries */

	/* locations */
	{"POST", "/v2/locations", location_create, false},
	{"GET", "/v2/locations", location_list, false},
	{"GET", "/v2/locations/:id", location_get, false},
	{"PUT", "/v2/locations/:id", location_update, false},
	{"PATCH", "/v2/locations/:id", location_update, false},
	{"POST", "/v2/locations/:id", location_update, false},
	{"DELETE", "/v2/locations/:id", location_delete, false},

	/* visits */

	/* messages */

	/* location status */

	/* events */

	/* openapi */
	{"GET", "/v2/openapi.json", openapi_get, true},

	/* metrics */

	{NULL, NULL, NULL, false},
};
