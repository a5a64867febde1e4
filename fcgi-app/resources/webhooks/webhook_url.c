/* Webhook URL syntax: scheme, host (DNS name or IP literal), port, path and query. */
#include "fcgi-app/resources/webhooks/webhook_url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Every byte visible ASCII (no space, no control, no 8-bit) and every '%' a full escape. */
static bool chars_ok(const char *s)
{
	for(const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if(c <= 0x20 || c >= 0x7f || c == '\\')
			return false;
		if(c == '%' && !(is_hex(p[1]) && is_hex(p[2])))
			return false;
	}
	return true;
}

/* A DNS name: labels of [A-Za-z0-9-], 1..63 bytes, no leading or trailing '-'. A name
 * whose last label is all digits must be a dotted IPv4 address (checked by the caller). */
static bool dns_name_ok(const char *h, size_t n, bool *numeric_tail)
{
	size_t label = 0;
	bool digits_only = true;
	if(n == 0 || n > WH_URL_HOST_MAX)
		return false;
	for(size_t i = 0; i <= n; i++) {
		char c = i < n ? h[i] : '.';
		if(c == '.') {
			if(label == 0 || label > 63 || h[i - 1] == '-')
				return false;
			if(i == n)
				break;
			label = 0;
			digits_only = true;
			continue;
		}
		if(!is_alnum(c) && c != '-')
			return false;
		if(c == '-' && label == 0)
			return false;
		if(c < '0' || c > '9')
			digits_only = false;
		label++;
	}
	*numeric_tail = digits_only;
	return true;
}

static enum wh_err host_check(const char *h, size_t n, const char *field, struct wh_url *u, struct jx_err *err)
{
	unsigned char addr[16];
	bool numeric_tail = false;
	if(n > WH_URL_HOST_MAX)
		return jx_fail(err, field, "%s: host too long", field);
	if(n && h[0] == '[') {
		if(n < 3 || h[n - 1] != ']')
			return jx_fail(err, field, "%s: malformed IPv6 literal", field);
		memcpy(u->host, h + 1, n - 2);
		u->host[n - 2] = '\0';
		if(inet_pton(AF_INET6, u->host, addr) != 1)
			return jx_fail(err, field, "%s: malformed IPv6 literal", field);
		u->host_kind = WH_URL_HOST_IPV6;
		return WH_OK;
	}
	memcpy(u->host, h, n);
	u->host[n] = '\0';
	if(!dns_name_ok(h, n, &numeric_tail))
		return jx_fail(err, field, "%s: host must be a DNS name or an IP literal", field);
	if(numeric_tail) {
		if(inet_pton(AF_INET, u->host, addr) != 1)
			return jx_fail(err, field, "%s: malformed IPv4 address", field);
		u->host_kind = WH_URL_HOST_IPV4;
		return WH_OK;
	}
	u->host_kind = WH_URL_HOST_DNS;
	return WH_OK;
}

static enum wh_err port_check(const char *p, size_t n, const char *field, struct wh_url *u, struct jx_err *err)
{
	long port = 0;
	if(n == 0 || n > 5)
		return jx_fail(err, field, "%s: malformed port", field);
	for(size_t i = 0; i < n; i++) {
		if(p[i] < '0' || p[i] > '9')
			return jx_fail(err, field, "%s: malformed port", field);
		port = port * 10 + (p[i] - '0');
	}
	if(port < 1 || port > 65535)
		return jx_fail(err, field, "%s: port must be 1..65535", field);
	u->port = (int)port;
	return WH_OK;
}

/* authority = host [":" port], no userinfo. */
static enum wh_err authority_check(const char *a, size_t n, const char *field, struct wh_url *u, struct jx_err *err)
{
	const char *colon;
	size_t hlen = n;
	enum wh_err result;
	if(memchr(a, '@', n))
		return jx_fail(err, field, "%s: user:password in the URL is not allowed", field);
	if(n && a[0] == '[') {
		const char *close = memchr(a, ']', n);
		if(!close)
			return jx_fail(err, field, "%s: malformed IPv6 literal", field);
		colon = (size_t)(close + 1 - a) < n ? close + 1 : NULL;
		if(colon && *colon != ':')
			return jx_fail(err, field, "%s: malformed host", field);
	} else {
		colon = memchr(a, ':', n);
	}
	if(colon)
		hlen = (size_t)(colon - a);
	if(hlen == 0)
		return jx_fail(err, field, "%s: host is missing", field);
	result = host_check(a, hlen, field, u, err);
	if(!result && colon)
		result = port_check(colon + 1, n - hlen - 1, field, u, err);
	return result;
}

enum wh_err wh_url_check(const char *url, bool allow_http, const char *field, struct wh_url *out, struct jx_err *err)
{
	struct wh_url u;
	size_t skip, alen;
	const char *auth;
	memset(&u, 0, sizeof(u));
	if(strlen(url) > WH_URL_MAX)
		return jx_fail(err, field, "%s: longer than %d bytes", field, WH_URL_MAX);
	if(!strncasecmp(url, "https://", 8)) {
		u.https = true;
		skip = 8;
	} else if(!strncasecmp(url, "http://", 7)) {
		if(!allow_http)
			return jx_fail(err, field, "%s: must be an https:// URL (http:// is disabled by configuration)",
			               field);
		skip = 7;
	} else {
		return jx_fail(err, field, "%s: must be an absolute https:// URL", field);
	}
	if(!chars_ok(url))
		return jx_fail(err, field,
		               "%s: spaces, control, non-ASCII characters and bad %%-escapes must be percent-encoded",
		               field);
	auth = url + skip;
	alen = strcspn(auth, "/?#");
	u.port = u.https ? 443 : 80;
	if(authority_check(auth, alen, field, &u, err))
		return WH_ERR_INVALID;
	if(out)
		*out = u;
	return WH_OK;
}

/* The policy's verdict on a literal address host. */
static bool literal_allowed(const struct wh_url *u, const struct urlpolicy *pol, const char **what)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	memset(&in, 0, sizeof(in));
	memset(&in6, 0, sizeof(in6));
	if(u->host_kind == WH_URL_HOST_IPV4 && inet_pton(AF_INET, u->host, &in.sin_addr) == 1) {
		in.sin_family = AF_INET;
		*what = urlpolicy_class_name(urlpolicy_classify((struct sockaddr *)&in, sizeof(in)));
		return urlpolicy_allows(pol, (struct sockaddr *)&in, sizeof(in));
	}
	if(inet_pton(AF_INET6, u->host, &in6.sin6_addr) != 1)
		return false;
	in6.sin6_family = AF_INET6;
	*what = urlpolicy_class_name(urlpolicy_classify((struct sockaddr *)&in6, sizeof(in6)));
	return urlpolicy_allows(pol, (struct sockaddr *)&in6, sizeof(in6));
}

enum wh_err wh_url_allowed(const char *url, bool allow_http, const struct urlpolicy *pol, const char *field,
                           struct jx_err *err)
{
	struct wh_url u;
	const char *what = "unsupported";
	enum wh_err result = wh_url_check(url, allow_http, field, &u, err);
	if(result || !pol || u.host_kind == WH_URL_HOST_DNS)
		return result;
	if(!literal_allowed(&u, pol, &what))
		return jx_fail(err, field,
		               "%s: %s is a %s address; the URL policy refuses it (allow_private_targets is off)",
		               field, u.host, what);
	return WH_OK;
}
