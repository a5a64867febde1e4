/* The URL policy (SPEC §9): which addresses deliveries may connect to. Pure functions over
 * struct sockaddr, so the worker checks the address actually connected to (after DNS) and
 * the API can check literal hosts the same way. No curl or FastCGI types here.
 *
 *   struct urlpolicy pol;
 *   if(urlpolicy_init(&pol, allow_private, "10.1.0.0/16, fd00::/8", err, sizeof(err))) ...
 *   if(!urlpolicy_allows(&pol, sa)) refuse: "blocked_address"
 *   urlpolicy_release(&pol);
 */
#ifndef WH_URLPOLICY_H
#define WH_URLPOLICY_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "common/err.h"

/* What an address is. Only URLPOLICY_PUBLIC is allowed by default. IPv6 forms that embed
 * an IPv4 address (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16) are
 * classified by the IPv4 address they carry. IPv6 outside 2000::/3 that is not named below
 * is reserved; only global unicast can be public. */
enum urlpolicy_class {
	URLPOLICY_PUBLIC = 0,
	URLPOLICY_UNSPECIFIED,   /* 0.0.0.0/8 ("this network"), :: */
	URLPOLICY_LOOPBACK,      /* 127.0.0.0/8, ::1 */
	URLPOLICY_PRIVATE,       /* 10/8, 172.16/12, 192.168/16, fc00::/7 (ULA), 64:ff9b:1::/48 */
	URLPOLICY_LINK_LOCAL,    /* 169.254/16 (cloud metadata 169.254.169.254), fe80::/10 */
	URLPOLICY_CGNAT,         /* 100.64.0.0/10 */
	URLPOLICY_MULTICAST,     /* 224.0.0.0/4, ff00::/8 */
	URLPOLICY_BROADCAST,     /* 255.255.255.255 */
	URLPOLICY_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20 */
	URLPOLICY_RESERVED,      /* 192.0.0/24, 192.88.99/24, 198.18/15 (benchmarking), 240/4;
	                            IETF 2001::/23 (Teredo 2001::/32 included), fec0::/10,
	                            100::/64 (discard), 5f00::/16, the rest of ::/8 */
	URLPOLICY_UNSUPPORTED    /* not AF_INET / AF_INET6, or a too short address */
};

/* Classifies sa (AF_INET or AF_INET6; len is the size of the structure given). */
enum urlpolicy_class urlpolicy_classify(const struct sockaddr *sa, size_t len);
/* A stable lowercase name for logs and errors ("loopback", "private", ...). Static. */
const char *urlpolicy_class_name(enum urlpolicy_class c);

struct urlpolicy_cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network address, host bits cleared */
	unsigned prefix;        /* 0..32 or 0..128 */
};

struct urlpolicy {
	bool allow_private;           /* every address allowed (dev and test configs) */
	struct urlpolicy_cidr *cidrs; /* owned */
	size_t ncidrs;
};

/* Parses a comma-separated CIDR list ("127.0.0.0/8, ::1/128"; a bare address means /32 or
 * /128; empty or NULL means none). On error returns WH_ERR_CONFIG with a message naming the
 * bad entry in err, and leaves *pol empty. Release with urlpolicy_release. */
enum wh_err urlpolicy_init(struct urlpolicy *pol, bool allow_private, const char *cidrs, char *err, size_t errlen);
void urlpolicy_release(struct urlpolicy *pol);

/* True when an allow-listed CIDR contains sa. An IPv4-mapped IPv6 address also matches the
 * IPv4 CIDRs by the address it carries. */
bool urlpolicy_cidr_match(const struct urlpolicy *pol, const struct sockaddr *sa, size_t len);

/* The decision: public addresses always, anything else only with allow_private or a
 * matching CIDR. */
bool urlpolicy_allows(const struct urlpolicy *pol, const struct sockaddr *sa, size_t len);

/* The egress proxy (config egress_proxy): "http://HOST:PORT", an optional trailing "/".
 * HOST is an IPv4 literal, a bracketed IPv6 literal or a DNS name (labels of letters,
 * digits and '-'); PORT is 1..65535. No credentials, path, query or other scheme. WH_OK
 * for an empty value too (no proxy); WH_ERR_CONFIG with the reason in why otherwise. */
enum wh_err urlpolicy_proxy_check(const char *url, char *why, size_t whylen);

#endif
