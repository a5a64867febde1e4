/* Request inboxes (SPEC §14): a built-in request bin. POST /v2/inboxes makes one, answered
 * {id, url, expiresAt} with url = <public_base_url>/in/<token>; /in/<token> (no API key)
 * keeps the last INBOX_REQUESTS_KEPT requests for 24 hours; GET /v2/inboxes lists the
 * account's live inboxes and GET /v2/inboxes/{id}/requests what one received, with the
 * signature check made on arrival (inbox_check.h). */
#ifndef WH_RESOURCES_INBOXES_H
#define WH_RESOURCES_INBOXES_H
#include "fcgi-app/core/router.h"

#define INBOX_LIFETIME_MS (24LL * 3600 * 1000)
#define INBOX_REQUESTS_KEPT 50
#define INBOX_BODY_MAX (64 * 1024)
#define INBOX_MAX_PER_ACCOUNT 10     /* live inboxes; one more answers 429 */
#define INBOX_REQUESTS_PER_MINUTE 60 /* per inbox; one more answers 429 with Retry-After */

enum wh_err inbox_create(struct request *req);
enum wh_err inbox_list(struct request *req);
enum wh_err inbox_requests(struct request *req);
/* /in/<token>, any of GET, POST, PUT, PATCH, DELETE. */
enum wh_err inbox_receive(struct request *req);

#endif
