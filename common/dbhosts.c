/* Parsing the db_hosts list of MariaDB nodes. */
#include "common/dbhosts.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static int parse_port(const char *s, unsigned *port)
{
	char *end;
	long long v;
	errno = 0;
	v = strtoll(s, &end, 10);
	if(errno || end == s || *end || v < 1 || v > 65535 || !isdigit((unsigned char)*s))
		return -1;
	*port = (unsigned)v;
	return 0;
}

static bool host_valid(const char *h, bool bracketed)
{
	if(!*h)
		return false;
	for(; *h; h++)
		if(!(isalnum((unsigned char)*h) || *h == '.' || *h == '-' || (bracketed && *h == ':')))
			return false;
	return true;
}

/* One trimmed entry into *h; -1 when it is not a socket path, host:port or [v6]:port. */
static int parse_entry(char *e, struct db_host *h)
{
	char *colon;
	bool bracketed = e[0] == '[';
	if(e[0] == '/') {
		h->socket = xstrdup(e);
		return 0;
	}
	if(bracketed) {
		char *close = strchr(e, ']');
		if(!close || close[1] != ':')
			return -1;
		*close = '\0';
		e++;
		colon = close + 1;
	} else {
		colon = strrchr(e, ':');
		if(!colon)
			return -1;
		*colon = '\0';
	}
	if(!host_valid(e, bracketed) || parse_port(colon + 1, &h->port))
		return -1;
	h->host = xstrdup(e);
	return 0;
}

static char *trim(char *s)
{
	char *end;
	while(isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while(end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

enum wh_err db_hosts_parse(const char *spec, struct db_hosts *out, char *err, size_t errlen)
{
	char *copy = xstrdup(spec), *rest = copy, *tok;
	enum wh_err result = WH_OK;
	memset(out, 0, sizeof(*out));
	if(!*trim(copy))
		goto out;
	out->v = xcalloc(DB_HOSTS_MAX, sizeof(*out->v));
	while((tok = strsep(&rest, ",")) != NULL) {
		char *e = trim(tok), shown[128];
		snprintf(shown, sizeof(shown), "%s", e);
		if(out->n == DB_HOSTS_MAX) {
			snprintf(err, errlen, "db_hosts: at most %d entries", DB_HOSTS_MAX);
			result = WH_ERR_CONFIG;
			break;
		}
		if(parse_entry(e, &out->v[out->n])) {
			snprintf(err, errlen, "db_hosts: '%s' is not host:port, [ipv6]:port or an absolute socket path",
			         shown);
			result = WH_ERR_CONFIG;
			break;
		}
		out->n++;
	}
out:
	free(copy);
	if(result)
		db_hosts_release(out);
	return result;
}

void db_hosts_release(struct db_hosts *hosts)
{
	if(!hosts)
		return;
	for(size_t i = 0; i < hosts->n; i++) {
		free(hosts->v[i].host);
		free(hosts->v[i].socket);
	}
	free(hosts->v);
	memset(hosts, 0, sizeof(*hosts));
}
