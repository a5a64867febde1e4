/* The route table of the API. Order matters only between patterns that both match. */
#include "fcgi-app/resources/account.h"
#include "fcgi-app/resources/api_keys.h"
#include "fcgi-app/resources/audit_log.h"
#include "fcgi-app/resources/event_types.h"
#include "fcgi-app/resources/events.h"
#include "fcgi-app/resources/health.h"
#include "fcgi-app/resources/inboxes.h"
#include "fcgi-app/resources/location_status.h"
#include "fcgi-app/resources/locations.h"
#include "fcgi-app/resources/messages.h"
#include "fcgi-app/resources/metrics.h"
#include "fcgi-app/resources/openapi_get.h"
#include "fcgi-app/resources/visits.h"
#include "fcgi-app/resources/webhooks/deliveries.h"
#include "fcgi-app/resources/webhooks/delivery_search.h"
#include "fcgi-app/resources/webhooks/webhooks.h"

const struct route routes[] = {
    {"GET", "/v2/health", health_get, true},
    {"GET", "/v2/live", health_live, true},
    {"GET", "/v2/account", account_get, false},

    /* API keys and the audit log */
    {"GET", "/v2/api-keys", api_keys_list, false},
    {"POST", "/v2/api-keys", api_keys_create, false},
    {"DELETE", "/v2/api-keys/:id", api_keys_delete, false},
    {"GET", "/v2/audit-log", audit_log_list, false},

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
    {"GET", "/v2/deliveries", deliveries_search, false},
    {"GET", "/v2/webhooks/:id/deliveries", deliveries_list, false},
    {"GET", "/v2/webhooks/:id/deliveries/:deliveryId", deliveries_get, false},
    {"POST", "/v2/webhooks/:id/deliveries/:deliveryId/resend", deliveries_resend, false},
    {"POST", "/v2/webhooks/:id/recover", webhooks_recover, false},

    /* locations */
    {"POST", "/v2/locations", location_create, false},
    {"GET", "/v2/locations", location_list, false},
    {"GET", "/v2/locations/:id", location_get, false},
    {"PUT", "/v2/locations/:id", location_update, false},
    {"PATCH", "/v2/locations/:id", location_update, false},
    {"POST", "/v2/locations/:id", location_update, false},
    {"DELETE", "/v2/locations/:id", location_delete, false},

    /* visits */
    {"POST", "/v2/visits", visit_create, false},
    {"GET", "/v2/visits", visit_list, false},
    {"GET", "/v2/visits/:id", visit_get, false},
    {"PUT", "/v2/visits/:id", visit_update, false},
    {"PATCH", "/v2/visits/:id", visit_update, false},
    {"POST", "/v2/visits/:id", visit_update, false},
    {"DELETE", "/v2/visits/:id", visit_delete, false},

    /* messages */
    {"POST", "/v2/messages", message_create, false},
    {"GET", "/v2/messages", message_list, false},
    {"GET", "/v2/messages/:id", message_get, false},
    {"PUT", "/v2/messages/:id", message_update, false},
    {"PATCH", "/v2/messages/:id", message_update, false},
    {"POST", "/v2/messages/:id", message_update, false},

    /* location status */
    {"GET", "/v2/location-status/:id", location_status_get, false},
    {"PUT", "/v2/location-status/:id", location_status_update, false},
    {"PATCH", "/v2/location-status/:id", location_status_update, false},
    {"POST", "/v2/location-status/:id", location_status_update, false},

    /* events */
    {"GET", "/v2/events", event_list, false},
    {"GET", "/v2/events/:id", event_get, false},

    /* request inboxes; /in/<token> needs no API key (the token is the capability) */
    {"POST", "/v2/inboxes", inbox_create, false},
    {"GET", "/v2/inboxes", inbox_list, false},
    {"GET", "/v2/inboxes/:id/requests", inbox_requests, false},
    {"POST", "/in/:token", inbox_receive, true},
    {"PUT", "/in/:token", inbox_receive, true},
    {"PATCH", "/in/:token", inbox_receive, true},
    {"DELETE", "/in/:token", inbox_receive, true},
    {"GET", "/in/:token", inbox_receive, true},

    /* event catalog: the same for every account, so no key needed (like the OpenAPI document) */
    {"GET", "/v2/event-types", event_types_list, true},
    {"GET", "/v2/event-types/:name", event_types_get, true},

    /* openapi */
    {"GET", "/v2/openapi.json", openapi_get, true},

    /* metrics */
    {"GET", "/metrics", metrics_get, true},

    {NULL, NULL, NULL, false},
};
