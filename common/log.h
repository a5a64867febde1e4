/* Logging to stderr: one line per event, with level, source location and process name.
 * The level is checked before formatting. Never pass a secret. */
#ifndef WH_LOG_H
#define WH_LOG_H
#include <stddef.h>

enum log_level { LOG_LEVEL_ERR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

extern enum log_level log_threshold;

/* Sets the process name shown in each line and the threshold. */
void log_setup(const char *progname, enum log_level level);
/* Parses "error", "warn", "info", "debug"; returns -1 when unknown. */
int log_level_parse(const char *s);
void log_write(enum log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Copies in to out (outlen bytes, NUL-terminated, cut when full) with every control
 * character and DEL written as \xNN, so one log call is always one line. log_write
 * applies it to every message. */
void log_escape(const char *in, char *out, size_t outlen);

#define LOG_AT(lvl, ...)                                                                                               \
	do {                                                                                                           \
		if((lvl) <= log_threshold)                                                                             \
			log_write((lvl), __FILE__, __LINE__, __VA_ARGS__);                                             \
	} while(0)
#define log_err(...) LOG_AT(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) LOG_AT(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) LOG_AT(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) LOG_AT(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
