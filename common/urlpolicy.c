/* URL policy: address classification (IPv4, IPv6 and the IPv6 forms embedding IPv4) and
 * the CIDR allow-list. */
#include "common/urlpolicy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct v4_range {
	uint32_t net;
	unsigned prefix;
	enum urlpolicy_class cls;
};

/* Most specific first: the first match wins. */
static const struct v4_range v4_ranges[] = {
    {0xFFFFFFFFu, 32, URLPOLICY_BROADCAST},     {0x00000000u, 8, URLPOLICY_UNSPECIFIED},
    {0x0A000000u, 8, URLPOLICY_PRIVATE},        {0x64400000u, 10, URLPOLICY_CGNAT},
    {0x7F000000u, 8, URLPOLICY_LOOPBACK},       {0xA9FE0000u, 16, URLPOLICY_LINK_LOCAL},
    {0xAC100000u, 12, URLPOLICY_PRIVATE},       {0xC0000200u, 24, URLPOLICY_DOCUMENTATION},
    {0xC0000000u, 24, URLPOLICY_RESERVED},      {0xC0586300u, 24, URLPOLICY_RESERVED},
    {0xC0A80000u, 16, URLPOLICY_PRIVATE},       {0xC6120000u, 15, URLPOLICY_RESERVED},
    {0xC6336400u, 24, URLPOLICY_DOCUMENTATION}, {0xCB007100u, 24, URLPOLICY_DOCUMENTATION},
    {0xE0000000u, 4, URLPOLICY_MULTICAST},      {0xF0000000u, 4, URLPOLICY_RESERVED},
};

static uint32_t v4_mask(unsigned prefix)
{
	return prefix ? 0xFFFFFFFFu << (32 - prefix) : 0;
}

static enum urlpolicy_class classify_v4(uint32_t a)
{
	for(size_t i = 0; i < sizeof(v4_ranges) / sizeof(v4_ranges[0]); i++)
		if((a & v4_mask(v4_ranges[i].prefix)) == v4_ranges[i].net)
			return v4_ranges[i].cls;
	return URLPOLICY_PUBLIC;
}

static uint32_t be32_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* True when the first prefix bits of a equal those of b. */
static bool prefix_eq(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;
	if(memcmp(a, b, full))
		return false;
	if(!rest)
		return true;
	unsigned char mask = (unsigned char)(0xFF << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

struct v6_range {
	unsigned char net[16];
	unsigned prefix;
	enum urlpolicy_class cls;
};

static const struct v6_range v6_ranges[] = {
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, URLPOLICY_PRIVATE},
    {{0x01, 0x00}, 64, URLPOLICY_RESERVED},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, URLPOLICY_DOCUMENTATION},
    {{0x20, 0x01, 0x00, 0x00}, 23, URLPOLICY_RESERVED},
    {{0x3f, 0xff}, 20, URLPOLICY_DOCUMENTATION},
    {{0x5f, 0x00}, 16, URLPOLICY_RESERVED},
    {{0xfc}, 7, URLPOLICY_PRIVATE},
    {{0xfe, 0x80}, 10, URLPOLICY_LINK_LOCAL},
    {{0xfe, 0xc0}, 10, URLPOLICY_RESERVED},
    {{0xff}, 8, URLPOLICY_MULTICAST},
};

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const unsigned char nat64_prefix[12] = {0x00, 0x64, 0xff, 0x9b};

/* An IPv4 address carried by a mapped, NAT64 or 6to4 address; false for other forms. */
static bool v6_embedded_v4(const unsigned char *a, uint32_t *v4)
{
	if(!memcmp(a, v4mapped_prefix, 12) || !memcmp(a, nat64_prefix, 12)) {
		*v4 = be32_at(a + 12);
		return true;
	}
	if(a[0] == 0x20 && a[1] == 0x02) {
		*v4 = be32_at(a + 2);
		return true;
	}
	return false;
}

static enum urlpolicy_class classify_v6(const unsigned char *a)
{
	static const unsigned char zero[16];
	uint32_t v4;
	if(!memcmp(a, zero, 16))
		return URLPOLICY_UNSPECIFIED;
	if(!memcmp(a, zero, 15) && a[15] == 1)
		return URLPOLICY_LOOPBACK;
	if(v6_embedded_v4(a, &v4))
		return classify_v4(v4);
	for(size_t i = 0; i < sizeof(v6_ranges) / sizeof(v6_ranges[0]); i++)
		if(prefix_eq(a, v6_ranges[i].net, v6_ranges[i].prefix))
			return v6_ranges[i].cls;
	if((a[0] & 0xE0) != 0x20) /* outside 2000::/3, global unicast */
		return URLPOLICY_RESERVED;
	return URLPOLICY_PUBLIC;
}

enum urlpolicy_class urlpolicy_classify(const struct sockaddr *sa, size_t len)
{
	if(!sa)
		return URLPOLICY_UNSUPPORTED;
	if(sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return classify_v4(ntohl(in->sin_addr.s_addr));
	}
	if(sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return classify_v6(in6->sin6_addr.s6_addr);
	}
	return URLPOLICY_UNSUPPORTED;
}

const char *urlpolicy_class_name(enum urlpolicy_class c)
{
	static const char *const names[] = {
	    [URLPOLICY_PUBLIC] = "public",
	    [URLPOLICY_UNSPECIFIED] = "unspecified",
	    [URLPOLICY_LOOPBACK] = "loopback",
	    [URLPOLICY_PRIVATE] = "private",
	    [URLPOLICY_LINK_LOCAL] = "link_local",
	    [URLPOLICY_CGNAT] = "cgnat",
	    [URLPOLICY_MULTICAST] = "multicast",
	    [URLPOLICY_BROADCAST] = "broadcast",
	    [URLPOLICY_DOCUMENTATION] = "documentation",
	    [URLPOLICY_RESERVED] = "reserved",
	    [URLPOLICY_UNSUPPORTED] = "unsupported",
	};
	if((unsigned)c >= sizeof(names) / sizeof(names[0]))
		return "unsupported";
	return names[c];
}

/* Parses one "addr[/prefix]" entry of exactly n bytes. */
static bool cidr_parse(const char *s, size_t n, struct urlpolicy_cidr *out)
{
	char text[64], *slash, *end;
	long prefix;
	unsigned max;
	if(n == 0 || n >= sizeof(text))
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	slash = strchr(text, '/');
	if(slash)
		*slash = '\0';
	memset(out, 0, sizeof(*out));
	if(inet_pton(AF_INET, text, out->addr) == 1)
		out->family = AF_INET;
	else if(inet_pton(AF_INET6, text, out->addr) == 1)
		out->family = AF_INET6;
	else
		return false;
	max = out->family == AF_INET ? 32 : 128;
	out->prefix = max;
	if(slash) {
		if(slash[1] < '0' || slash[1] > '9')
			return false;
		prefix = strtol(slash + 1, &end, 10);
		if(*end || prefix < 0 || prefix > (long)max)
			return false;
		out->prefix = (unsigned)prefix;
	}
	for(unsigned bit = out->prefix; bit < max; bit++) /* clear the host bits */
		out->addr[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
	return true;
}

static const char *trim(const char *s, const char *end, size_t *n)
{
	while(s < end && (*s == ' ' || *s == '\t'))
		s++;
	while(end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*n = (size_t)(end - s);
	return s;
}

enum wh_err urlpolicy_init(struct urlpolicy *pol, bool allow_private, const char *cidrs, char *err, size_t errlen)
{
	const char *p = cidrs ? cidrs : "";
	memset(pol, 0, sizeof(*pol));
	pol->allow_private = allow_private;
	while(*p) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p), *item;
		size_t n;
		item = trim(p, end, &n);
		if(n) {
			struct urlpolicy_cidr c;
			if(!cidr_parse(item, n, &c)) {
				snprintf(err, errlen, "allow_cidrs: bad CIDR '%.*s'", (int)(n > 64 ? 64 : n), item);
				urlpolicy_release(pol);
				return WH_ERR_CONFIG;
			}
			pol->cidrs = xrealloc(pol->cidrs, (pol->ncidrs + 1) * sizeof(*pol->cidrs));
			pol->cidrs[pol->ncidrs++] = c;
		}
		p = comma ? comma + 1 : end;
	}
	return WH_OK;
}

void urlpolicy_release(struct urlpolicy *pol)
{
	if(!pol)
		return;
	free(pol->cidrs);
	pol->cidrs = NULL;
	pol->ncidrs = 0;
}

static bool cidrs_contain(const struct urlpolicy *pol, int family, const unsigned char *addr)
{
	for(size_t i = 0; i < pol->ncidrs; i++)
		if(pol->cidrs[i].family == family && prefix_eq(addr, pol->cidrs[i].addr, pol->cidrs[i].prefix))
			return true;
	return false;
}

bool urlpolicy_cidr_match(const struct urlpolicy *pol, const struct sockaddr *sa, size_t len)
{
	if(!sa)
		return false;
	if(sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return cidrs_contain(pol, AF_INET, (const unsigned char *)&in->sin_addr.s_addr);
	}
	if(sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const unsigned char *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		if(cidrs_contain(pol, AF_INET6, a))
			return true;
		return !memcmp(a, v4mapped_prefix, 12) && cidrs_contain(pol, AF_INET, a + 12);
	}
	return false;
}

bool urlpolicy_allows(const struct urlpolicy *pol, const struct sockaddr *sa, size_t len)
{
	enum urlpolicy_class c = urlpolicy_classify(sa, len);
	if(c == URLPOLICY_UNSUPPORTED)
		return false;
	if(c == URLPOLICY_PUBLIC || pol->allow_private)
		return true;
	return urlpolicy_cidr_match(pol, sa, len);
}

/* A DNS name as a proxy host: labels of 1..63 letters, digits and '-', not starting or
 * ending with '-', at most 253 bytes. */
static bool dns_name_ok(const char *h, size_t n)
{
	size_t label = 0;
	if(n == 0 || n > 253)
		return false;
	for(size_t i = 0; i <= n; i++) {
		char c = i < n ? h[i] : '.';
		if(c == '.') {
			if(label == 0 || label > 63 || h[i - 1] == '-' || h[i - label] == '-')
				return false;
			label = 0;
		} else if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static bool proxy_host_ok(const char *h, size_t n)
{
	char text[64];
	unsigned char addr[16];
	if(n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		if(n - 2 >= sizeof(text))
			return false;
		memcpy(text, h + 1, n - 2);
		text[n - 2] = '\0';
		return inet_pton(AF_INET6, text, addr) == 1;
	}
	if(n < sizeof(text) && strspn(h, "0123456789.") >= n) {
		memcpy(text, h, n);
		text[n] = '\0';
		return inet_pton(AF_INET, text, addr) == 1;
	}
	return dns_name_ok(h, n);
}

enum wh_err urlpolicy_proxy_check(const char *url, char *why, size_t whylen)
{
	static const char scheme[] = "http://";
	const char *host, *colon, *end;
	char *pend;
	long port;
	if(!url || !*url)
		return WH_OK;
	if(strncmp(url, scheme, sizeof(scheme) - 1)) {
		snprintf(why, whylen, "egress_proxy: expected http://HOST:PORT");
		return WH_ERR_CONFIG;
	}
	host = url + sizeof(scheme) - 1;
	end = host + strlen(host);
	if(end > host && end[-1] == '/')
		end--;
	colon = end;
	while(colon > host && colon[-1] != ':' && colon[-1] != ']')
		colon--;
	if(colon == host || colon[-1] != ':' || colon == end || *colon < '0' || *colon > '9') {
		snprintf(why, whylen, "egress_proxy: expected http://HOST:PORT (the port is required)");
		return WH_ERR_CONFIG;
	}
	port = strtol(colon, &pend, 10);
	if(pend != end || port < 1 || port > 65535) {
		snprintf(why, whylen, "egress_proxy: the port must be 1..65535");
		return WH_ERR_CONFIG;
	}
	if(!proxy_host_ok(host, (size_t)(colon - 1 - host))) {
		snprintf(why, whylen,
		         "egress_proxy: the host must be an IP address or a DNS name (no credentials or path)");
		return WH_ERR_CONFIG;
	}
	return WH_OK;
}
