/* JSON envelope building: any JSON value as data comes back out of the envelope's bytes
 * equal, under the four fixed keys in order. */
#include "common/event_row.h"
#include "common/json_util.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *value = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	json_t *back;
	char *env;
	if(!value)
		return 0;
	env = event_envelope("0T6HyBrXIZuDl73ViyRp", 1779199571923LL, "itiDKblwIsbJsAxO8kFz", "visit.created", value);
	back = json_loads(env, 0, NULL);
	if(!back || json_object_size(back) != 5 || !json_equal(json_object_get(back, "data"), value) ||
	   strncmp(env, "{\"id\":\"0T6HyBrXIZuDl73ViyRp\",\"created\":\"2026-05-19T14:06:11.923Z\",", 66))
		abort();
	json_decref(back);
	free(env);
	json_decref(value);
	return 0;
}
