/* Names and values of custom headers. */
#include "common/custom_headers.h"

#include <string.h>
#include <strings.h>

static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool custom_header_name_valid(const char *name)
{
	size_t n = strlen(name);
	if(n < 1 || n > CUSTOM_HEADER_NAME_MAX)
		return false;
	for(size_t i = 0; i < n; i++)
		if(!tchar(name[i]))
			return false;
	return true;
}

bool custom_header_value_valid(const char *value)
{
	size_t n = strlen(value);
	if(n < 1 || n > CUSTOM_HEADER_VALUE_MAX || value[0] == ' ' || value[n - 1] == ' ')
		return false;
	for(size_t i = 0; i < n; i++)
		if(value[i] < 0x20 || value[i] > 0x7e)
			return false;
	return true;
}

bool custom_header_reserved(const char *name, bool oauth)
{
	static const char *const exact[] = {"Content-Type",
	                                    "Content-Length",
	                                    "Host",
	                                    "User-Agent",
	                                    "Connection",
	                                    "Transfer-Encoding",
	                                    "Keep-Alive",
	                                    "TE",
	                                    "Trailer",
	                                    "Upgrade",
	                                    "Expect",
	                                    "X-Waitwhile-Signature",
	                                    NULL};
	for(size_t i = 0; exact[i]; i++)
		if(!strcasecmp(name, exact[i]))
			return true;
	if(!strncasecmp(name, "webhook-", 8) || !strncasecmp(name, "proxy-", 6))
		return true;
	return oauth && !strcasecmp(name, "Authorization");
}
