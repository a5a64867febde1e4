/* The config parser: any file either loads (every key then has a value) or is refused with
 * a message. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/config.h"
#include "tests/fuzz/fuzz.h"

static char path[64];

static void remove_input(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512] = "";
	FILE *f;
	if(!path[0]) {
		snprintf(path, sizeof(path), "/tmp/linehook-fuzz-config.%d", (int)getpid());
		atexit(remove_input);
	}
	f = fopen(path, "wb");
	if(!f)
		abort();
	if(size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	if(config_load(&cfg, path, err, sizeof(err))) {
		if(!err[0])
			abort(); /* a refusal always says why (config_load released cfg) */
		return 0;
	}
	for(int k = 0; k < CFG__COUNT; k++)
		if(!config_str(&cfg, (enum config_key)k))
			abort(); /* every key has a value, default or set */
	config_release(&cfg);
	return 0;
}
