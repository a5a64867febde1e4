/* The visit life cycle and the field validators (pure functions). */
#include "fcgi-app/resources/visit_rules.h"

#include <stddef.h>
#include <string.h>

struct move {
	const char *from, *to;
};

/* The visit life cycle. DRAFT is an unfinished entry; PENDING awaits approval; BOOKED
 * has a time; WAITING is in line; SERVED is being served; COMPLETE is final (served,
 * cancelled or a no-show). A visit can end (COMPLETE) from any live state but DRAFT,
 * which is deleted instead. */
static const struct move visit_moves[] = {
    {"DRAFT", "PENDING"},    {"DRAFT", "BOOKED"},
    {"DRAFT", "WAITING"},    {"PENDING", "BOOKED"},
    {"PENDING", "WAITING"},  {"PENDING", "COMPLETE"},
    {"BOOKED", "WAITING"},   {"BOOKED", "SERVED"},
    {"BOOKED", "COMPLETE"},  {"WAITING", "SERVED"},
    {"WAITING", "COMPLETE"}, {"SERVED", "WAITING"},
    {"SERVED", "COMPLETE"},  {NULL, NULL},
};

static bool move_listed(const struct move *moves, const char *from, const char *to)
{
	if(!from || !to)
		return false;
	if(!strcmp(from, to))
		return true;
	for(size_t i = 0; moves[i].from; i++)
		if(!strcmp(moves[i].from, from) && !strcmp(moves[i].to, to))
			return true;
	return false;
}

bool visit_transition_allowed(const char *from, const char *to)
{
	return move_listed(visit_moves, from, to);
}

bool visit_create_state_allowed(const char *state)
{
	static const char *const ok[] = {"PENDING", "DRAFT", "BOOKED", "WAITING", "SERVED", NULL};
	for(size_t i = 0; state && ok[i]; i++)
		if(!strcmp(ok[i], state))
			return true;
	return false;
}

bool visit_joins_waitlist(const char *from, const char *to)
{
	if(!to || strcmp(to, "WAITING"))
		return false;
	if(!from)
		return true;
	return strcmp(from, "WAITING") && strcmp(from, "BOOKED") && strcmp(from, "SERVED");
}

char visit_state_counter(const char *state)
{
	if(!state)
		return 0;
	if(!strcmp(state, "WAITING"))
		return 'W';
	if(!strcmp(state, "SERVED"))
		return 'S';
	if(!strcmp(state, "BOOKED"))
		return 'B';
	return 0;
}

bool rules_phone_valid(const char *phone)
{
	size_t digits = 0;
	for(const char *p = phone; *p; p++) {
		if(*p >= '0' && *p <= '9')
			digits++;
		else if(!strchr("+()-. ", *p))
			return false;
	}
	return digits >= 3;
}

bool rules_email_valid(const char *email)
{
	const char *at = strchr(email, '@');
	const char *dot;
	for(const unsigned char *p = (const unsigned char *)email; *p; p++)
		if(*p <= ' ' || *p == 0x7f)
			return false;
	if(!at || at == email || strchr(at + 1, '@'))
		return false;
	dot = strrchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1] != '\0';
}

bool rules_timezone_valid(const char *tz)
{
	size_t len = strlen(tz);
	if(len == 0 || len > LOCATION_TIMEZONE_MAX || strstr(tz, "..") || strstr(tz, "//"))
		return false;
	if(!((tz[0] >= 'A' && tz[0] <= 'Z') || (tz[0] >= 'a' && tz[0] <= 'z')) || tz[len - 1] == '/')
		return false;
	for(const char *p = tz; *p; p++) {
		char c = *p;
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if(!alnum && !strchr("/_+-", c))
			return false;
	}
	return true;
}
