/* Message channels, states and their life cycle (pure functions). */
#include "fcgi-app/resources/message_rules.h"

#include <string.h>

bool message_state_valid(const char *state)
{
	return state && (!strcmp(state, "PENDING") || !strcmp(state, "SENT") || !strcmp(state, "DELIVERED") ||
	                 !strcmp(state, "FAILED"));
}

/* The states `to` may be entered from: SENT from PENDING, DELIVERED from SENT, FAILED
 * from either; DELIVERED and FAILED are final. */
bool message_transition_allowed(const char *from, const char *to)
{
	if(!message_state_valid(from) || !message_state_valid(to))
		return false;
	if(!strcmp(from, to))
		return true;
	if(!strcmp(to, "SENT"))
		return !strcmp(from, "PENDING");
	if(!strcmp(to, "DELIVERED"))
		return !strcmp(from, "SENT");
	if(!strcmp(to, "FAILED"))
		return !strcmp(from, "PENDING") || !strcmp(from, "SENT");
	return false;
}

bool message_channel_valid(const char *channel)
{
	return channel && (!strcmp(channel, "SMS") || !strcmp(channel, "EMAIL"));
}
