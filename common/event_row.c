/* The event envelope, built in one place. */
#include "common/event_row.h"

#include <stdint.h>

#include "common/json_util.h"

char *event_envelope(const char *id, long long created_ms, const char *account_id, const char *type, const json_t *data)
{
	json_t *env = json_object();
	char *payload;
	json_object_set_new(env, "id", json_string(id));
	jx_set_time(env, "created", created_ms);
	json_object_set_new(env, "accountId", json_string(account_id));
	json_object_set_new(env, "type", json_string(type));
	/* Borrowed: the reference taken here goes with env. */
	json_object_set(env, "data", (json_t *)(uintptr_t)data);
	payload = jx_dumps(env);
	json_decref(env);
	return payload;
}
