/* Event types and visit states. */
#include "common/events.h"

#include <string.h>

const char *const event_types[] = {
    "visit.created",
    "visit.updated",
    "visit.removed",
    "location-status.updated",
    "message.created",
    "message.updated",
    "location.created",
    "location.updated",
    "location.removed",
    "webhook.test",
    "webhook.disabled",
    "webhook.recovered",
    NULL,
};

const char *const visit_states[] = {"PENDING", "DRAFT", "BOOKED", "WAITING", "SERVED", "COMPLETE", NULL};

bool event_type_valid(const char *type)
{
	for(size_t i = 0; event_types[i]; i++)
		if(!strcmp(event_types[i], type))
			return true;
	return false;
}

bool event_type_operational(const char *type)
{
	return !strcmp(type, "webhook.disabled") || !strcmp(type, "webhook.recovered");
}

const char *visit_state_canonical(const char *state)
{
	if(!strcmp(state, "SERVING"))
		return "SERVED";
	for(size_t i = 0; visit_states[i]; i++)
		if(!strcmp(visit_states[i], state))
			return visit_states[i];
	return NULL;
}
