/* Random ids, ISO-8601 UTC times. */
#include "common/ids.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

void id_random(char *out, size_t n)
{
	unsigned char rnd[64];
	size_t i = 0;
	while(i < n) {
		if(RAND_bytes(rnd, sizeof(rnd)) != 1) {
			fprintf(stderr, "fatal: RAND_bytes failed\n");
			abort();
		}
		for(size_t k = 0; k < sizeof(rnd) && i < n; k++)
			if(rnd[k] < 248) /* 248 = 4 * 62: rejection keeps the choice unbiased */
				out[i++] = alphabet[rnd[k] % 62];
	}
	out[n] = '\0';
}

void id_new(char *out)
{
	id_random(out, ID_LEN);
}

unsigned id_hash(const char *s)
{
	unsigned h = 2166136261u;
	for(; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

bool id_valid(const char *s)
{
	size_t n = 0;
	if(!s)
		return false;
	for(; s[n]; n++) {
		char c = s[n];
		if(n >= ID_LEN || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return false;
	}
	return n == ID_LEN;
}

long long time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long time_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void time_format_iso(long long ms, char *out)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char tmp[64];
	gmtime_r(&secs, &tm);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	         tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	memcpy(out, tmp, TIME_ISO_LEN);
	out[TIME_ISO_LEN] = '\0';
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for(int i = 0; i < n; i++) {
		if(s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool time_parse_iso(const char *s, long long *ms)
{
	int y, mo, d, h, mi, sec, frac = 0;
	struct tm tm = {0};
	const char *p;
	if(strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return false;
	if(!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
	   !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
		return false;
	if(mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
		return false;
	p = s + 19;
	if(*p == '.') {
		int n = 0, v;
		p++;
		while(p[n] >= '0' && p[n] <= '9')
			n++;
		if(n == 0 || n > 9)
			return false;
		digits(p, n < 3 ? n : 3, &v);
		for(int k = n; k < 3; k++)
			v *= 10;
		frac = v;
		p += n;
	}
	if(strcmp(p, "Z") && strcmp(p, "+00:00"))
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*ms = (long long)timegm(&tm) * 1000 + frac;
	return true;
}
