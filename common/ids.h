/* Random identifiers and secrets from OpenSSL's RAND_bytes, and time helpers. */
#ifndef WH_IDS_H
#define WH_IDS_H
#include <stdbool.h>
#include <stddef.h>

#define ID_LEN 20
#define SECRET_LEN 24

/* Fills out with n characters of [A-Za-z0-9] (unbiased) and a NUL: out needs n + 1 bytes. */
void id_random(char *out, size_t n);
/* A 20-character resource id; out needs ID_LEN + 1 bytes. */
void id_new(char *out);
/* True when s is exactly 20 characters of [A-Za-z0-9]. */
bool id_valid(const char *s);
/* A hash of an id (FNV-1a) for hash tables keyed by id; not for anything secret. */
unsigned id_hash(const char *s);

/* Milliseconds since the Unix epoch (wall clock). */
long long time_now_ms(void);
/* Monotonic milliseconds, for durations. */
long long time_mono_ms(void);
#define TIME_ISO_LEN 24
/* "2026-05-19T14:06:11.923Z"; out needs TIME_ISO_LEN + 1 bytes. */
void time_format_iso(long long ms, char *out);
/* Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" (or +00:00); returns false when malformed. */
bool time_parse_iso(const char *s, long long *ms);

#endif
