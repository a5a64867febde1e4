/* What every libFuzzer target here shares: the entry point's prototype and a
 * NUL-terminated copy of the input. */
#ifndef WH_FUZZ_H
#define WH_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data[0..size) as a new NUL-terminated string (an embedded NUL ends it early). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	if(size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
