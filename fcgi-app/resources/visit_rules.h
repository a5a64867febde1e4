/* The pure rules of the waitlist domain: the visit life cycle, which visit states the
 * location status counts, and the field validators (message rules: message_rules.h).
 * No I/O, unit-tested. */
#ifndef WH_VISIT_RULES_H
#define WH_VISIT_RULES_H
#include <stdbool.h>

/* Field limits (bytes of UTF-8), also in openapi/domain.json and README.md. */
#define LOCATION_NAME_MAX 200
#define LOCATION_TIMEZONE_MAX 64
#define VISIT_NAME_MAX 100
#define VISIT_PHONE_MAX 32
#define VISIT_EMAIL_MAX 254
#define VISIT_NOTES_MAX 2000
#define VISIT_PARTY_MIN 1
#define VISIT_PARTY_MAX 100

/* True when a visit may move from state `from` to state `to` (canonical names). Staying in
 * the same state is always allowed (it changes nothing). */
bool visit_transition_allowed(const char *from, const char *to);

/* True when a visit may be created in this canonical state (COMPLETE may not). */
bool visit_create_state_allowed(const char *state);

/* True when entering `to` from `from` (NULL: a new visit) joins the waitlist, which a
 * closed waitlist refuses: entering WAITING from anything but BOOKED (a booking checking
 * in) or SERVED (sent back to the line). */
bool visit_joins_waitlist(const char *from, const char *to);

/* Which location-status counter a state feeds: 'W' numWaiting, 'S' numServing,
 * 'B' numBooked, 0 none. A move between states of different counters changes the status. */
char visit_state_counter(const char *state);

/* Validators for free-form fields (lengths are checked by the caller; control characters
 * by field_text_valid, fcgi-app/core/fields.h). */
bool rules_phone_valid(const char *phone); /* digits, + ( ) - . space; at least 3 digits */
bool rules_email_valid(const char *email); /* local@domain.tld, no spaces or controls */
bool rules_timezone_valid(const char *tz); /* IANA-style name: "UTC", "Europe/Stockholm" */

#endif
