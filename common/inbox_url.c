/* Inbox URLs. */
#include "common/inbox_url.h"

#include <string.h>

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool host_char(char c)
{
	return alnum(c) || c == '-' || c == '.' || c == ':' || c == '[' || c == ']';
}

bool inbox_base_valid(const char *base)
{
	const char *host;
	size_t n;
	if(!strncmp(base, "https://", 8))
		host = base + 8;
	else if(!strncmp(base, "http://", 7))
		host = base + 7;
	else
		return false;
	n = strlen(host);
	if(n == 0 || n > 255)
		return false;
	for(size_t i = 0; i < n; i++)
		if(!host_char(host[i]))
			return false;
	return host[0] != ':' && host[n - 1] != ':';
}

bool inbox_token_valid(const char *token)
{
	size_t i = 0;
	for(; token[i] && i <= INBOX_TOKEN_LEN; i++)
		if(!alnum(token[i]))
			return false;
	return i == INBOX_TOKEN_LEN && !token[i];
}

bool inbox_url_match(const char *url, const char *base)
{
	size_t n = strlen(base);
	if(!n || !inbox_base_valid(base) || strncmp(url, base, n) || strncmp(url + n, INBOX_PATH, strlen(INBOX_PATH)))
		return false;
	return inbox_token_valid(url + n + strlen(INBOX_PATH));
}
