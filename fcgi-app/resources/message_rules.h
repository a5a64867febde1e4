/* The pure rules of messages: channels, delivery states and their life cycle. No I/O,
 * unit-tested. */
#ifndef WH_MESSAGE_RULES_H
#define WH_MESSAGE_RULES_H
#include <stdbool.h>

/* Content limit (bytes of UTF-8), also in openapi/domain.json and README.md. */
#define MESSAGE_CONTENT_MAX 1600

/* Message delivery states: PENDING -> SENT -> DELIVERED, PENDING|SENT -> FAILED. Staying
 * in the same state is allowed (it changes nothing). NULL is never valid. */
bool message_state_valid(const char *state);
bool message_transition_allowed(const char *from, const char *to);
/* SMS or EMAIL. */
bool message_channel_valid(const char *channel);

#endif
