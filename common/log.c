/* stderr logging with level, time, process and source location. */
#include "common/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum log_level log_threshold = LOG_LEVEL_INFO;
static char log_prog[32] = "linehook";

void log_setup(const char *progname, enum log_level level)
{
	snprintf(log_prog, sizeof(log_prog), "%s", progname);
	log_threshold = level;
}

int log_level_parse(const char *s)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	for(int i = 0; i < 4; i++)
		if(!strcmp(s, names[i]))
			return i;
	return -1;
}

void log_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if(!outlen)
		return;
	for(const unsigned char *p = (const unsigned char *)in; *p; p++) {
		bool ctl = *p < 0x20 || *p == 0x7f;
		if(o + (ctl ? 4 : 1) >= outlen)
			break;
		if(ctl) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
}

void log_write(enum log_level level, const char *file, int line, const char *fmt, ...)
{
	static const char *tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	char raw[1024], msg[4 * 1024];
	char when[32];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	const char *base = strrchr(file, '/');

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Request data (a decoded path, a header) may carry CR or LF: escaped, it can't forge
	 * a log line. */
	log_escape(raw, msg, sizeof(msg));
	/* One write per line so lines from several processes don't interleave. */
	fprintf(stderr, "%s.%03dZ %s %s[%d] %s:%d: %s\n", when, (int)(tv.tv_usec / 1000), tags[level], log_prog,
	        (int)getpid(), base ? base + 1 : file, line, msg);
}
