/* Log lines: control characters in logged data are escaped, so one call is one line. */
#include <stdio.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/unit/test.h"

TEST_SUITE(log_escape_controls)
{
	char out[64], tiny[6];
	FILE *f = tmpfile();
	char line[512];
	int saved = dup(2), lines = 0;
	log_escape("GET /v2/x\r\nFORGED 1", out, sizeof(out));
	CHECK_STR(out, "GET /v2/x\\x0d\\x0aFORGED 1");
	log_escape("tab\there\x7f", out, sizeof(out));
	CHECK_STR(out, "tab\\x09here\\x7f");
	log_escape("ab\ncd", tiny, sizeof(tiny)); /* an escape that does not fit is cut whole */
	CHECK_STR(tiny, "ab");
	log_escape("UTF-8 \xc3\xa5 stays", out, sizeof(out));
	CHECK_STR(out, "UTF-8 \xc3\xa5 stays");
	/* Through log_write itself: a decoded path with CR LF stays on its one line. */
	fflush(stderr);
	dup2(fileno(f), 2);
	log_err("%s %s -> %d", "GET", "/v2/webhooks/x\r\n2026-01-01T00:00:00.000Z ERROR forged", 500);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	while(fgets(line, sizeof(line), f)) {
		lines++;
		CHECK(strstr(line, "/v2/webhooks/x\\x0d\\x0a2026-01-01T00:00:00.000Z ERROR forged -> 500") != NULL);
	}
	CHECK(lines == 1);
	fclose(f);
}
