/* The deliveries and delivery_attempts tables as both binaries see them: a delivery's
 * statuses (stored in deliveries.status, answered as they are) and an attempt's trigger
 * (delivery_attempts.trigger_kind). The worker writes them; the API lists them and marks
 * deliveries due again (resend, recover). */
#ifndef WH_DELIVERY_ROW_H
#define WH_DELIVERY_ROW_H
#include <stdbool.h>

#define DELIVERY_PENDING "pending"     /* waiting for its next attempt or in flight */
#define DELIVERY_SUCCEEDED "succeeded" /* an attempt got a 2xx */
#define DELIVERY_FAILED "failed"       /* the retry schedule ran out: a dead letter, resendable */

/* The three statuses in that order; NULL-terminated. */
extern const char *const delivery_statuses[];
#define DELIVERY_STATUS_COUNT 3

/* True for one of delivery_statuses (NULL is not). */
bool delivery_status_valid(const char *status);

#define ATTEMPT_SCHEDULED "scheduled" /* made by the retry schedule */
#define ATTEMPT_MANUAL "manual"       /* made by resend or recover */

#endif
