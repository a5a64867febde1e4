/* URL policy: every address range, classified without connecting; the CIDR allow-list. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "common/urlpolicy.h"
#include "tests/unit/test.h"

/* Parses an IPv4 or IPv6 literal into ss; returns the address length, 0 when malformed. */
static size_t to_sockaddr(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	if(inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		return sizeof(*in);
	}
	if(inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return sizeof(*in6);
	}
	return 0;
}

static enum urlpolicy_class classify(const char *text)
{
	struct sockaddr_storage ss;
	size_t len = to_sockaddr(text, &ss);
	return len ? urlpolicy_classify((struct sockaddr *)&ss, len) : (enum urlpolicy_class) - 1;
}

static bool allows(const struct urlpolicy *pol, const char *text)
{
	struct sockaddr_storage ss;
	size_t len = to_sockaddr(text, &ss);
	return len && urlpolicy_allows(pol, (struct sockaddr *)&ss, len);
}

struct class_case {
	const char *addr;
	enum urlpolicy_class cls;
};

static const struct class_case cases[] = {
    /* IPv4 */
    {"8.8.8.8", URLPOLICY_PUBLIC},
    {"1.1.1.1", URLPOLICY_PUBLIC},
    {"0.0.0.0", URLPOLICY_UNSPECIFIED},
    {"0.1.2.3", URLPOLICY_UNSPECIFIED},
    {"10.0.0.1", URLPOLICY_PRIVATE},
    {"10.255.255.255", URLPOLICY_PRIVATE},
    {"11.0.0.1", URLPOLICY_PUBLIC},
    {"100.63.255.255", URLPOLICY_PUBLIC},
    {"100.64.0.1", URLPOLICY_CGNAT},
    {"100.127.255.255", URLPOLICY_CGNAT},
    {"100.128.0.0", URLPOLICY_PUBLIC},
    {"127.0.0.1", URLPOLICY_LOOPBACK},
    {"127.255.255.254", URLPOLICY_LOOPBACK},
    {"169.254.169.254", URLPOLICY_LINK_LOCAL},
    {"169.254.0.1", URLPOLICY_LINK_LOCAL},
    {"172.15.255.255", URLPOLICY_PUBLIC},
    {"172.16.0.1", URLPOLICY_PRIVATE},
    {"172.31.255.255", URLPOLICY_PRIVATE},
    {"172.32.0.0", URLPOLICY_PUBLIC},
    {"192.0.0.8", URLPOLICY_RESERVED},
    {"192.0.2.1", URLPOLICY_DOCUMENTATION},
    {"192.88.99.1", URLPOLICY_RESERVED},
    {"192.168.1.1", URLPOLICY_PRIVATE},
    {"192.169.0.1", URLPOLICY_PUBLIC},
    {"198.18.0.1", URLPOLICY_RESERVED},
    {"198.19.255.255", URLPOLICY_RESERVED},
    {"198.20.0.1", URLPOLICY_PUBLIC},
    {"198.51.100.7", URLPOLICY_DOCUMENTATION},
    {"203.0.113.9", URLPOLICY_DOCUMENTATION},
    {"224.0.0.1", URLPOLICY_MULTICAST},
    {"239.255.255.250", URLPOLICY_MULTICAST},
    {"240.0.0.1", URLPOLICY_RESERVED},
    {"255.255.255.254", URLPOLICY_RESERVED},
    {"255.255.255.255", URLPOLICY_BROADCAST},
    {"223.255.255.255", URLPOLICY_PUBLIC},
    /* IPv6 */
    {"::", URLPOLICY_UNSPECIFIED},
    {"::1", URLPOLICY_LOOPBACK},
    {"::2", URLPOLICY_RESERVED},
    {"::ffff:127.0.0.1", URLPOLICY_LOOPBACK},
    {"::ffff:10.1.2.3", URLPOLICY_PRIVATE},
    {"::ffff:169.254.169.254", URLPOLICY_LINK_LOCAL},
    {"::ffff:0.0.0.0", URLPOLICY_UNSPECIFIED},
    {"::ffff:8.8.8.8", URLPOLICY_PUBLIC},
    {"::127.0.0.1", URLPOLICY_RESERVED}, /* IPv4-compatible, deprecated */
    {"64:ff9b::7f00:1", URLPOLICY_LOOPBACK},
    {"64:ff9b::a9fe:a9fe", URLPOLICY_LINK_LOCAL},
    {"64:ff9b::808:808", URLPOLICY_PUBLIC},
    {"64:ff9b:1::1", URLPOLICY_PRIVATE},
    {"100::1", URLPOLICY_RESERVED},
    {"2001::1", URLPOLICY_RESERVED}, /* Teredo */
    {"2001:0:4136:e378::1", URLPOLICY_RESERVED},
    {"2001:2::1", URLPOLICY_RESERVED}, /* benchmarking */
    {"2001:db8::1", URLPOLICY_DOCUMENTATION},
    {"3fff::1", URLPOLICY_DOCUMENTATION},
    {"2002:7f00:1::", URLPOLICY_LOOPBACK}, /* 6to4 of 127.0.0.1 */
    {"2002:a00:1::1", URLPOLICY_PRIVATE},  /* 6to4 of 10.0.0.1 */
    {"2002:808:808::1", URLPOLICY_PUBLIC},
    {"2606:4700:4700::1111", URLPOLICY_PUBLIC},
    {"2a00:1450:4001::200e", URLPOLICY_PUBLIC},
    {"5f00::1", URLPOLICY_RESERVED},
    {"fc00::1", URLPOLICY_PRIVATE},
    {"fd12:3456::1", URLPOLICY_PRIVATE},
    {"fe80::1", URLPOLICY_LINK_LOCAL},
    {"febf::1", URLPOLICY_LINK_LOCAL},
    {"fec0::1", URLPOLICY_RESERVED},
    {"ff02::1", URLPOLICY_MULTICAST},
    {"ff0e::1", URLPOLICY_MULTICAST},
    {"4000::1", URLPOLICY_RESERVED}, /* outside 2000::/3 */
    {"1000::1", URLPOLICY_RESERVED},
};

TEST_SUITE(urlpolicy_classifier_ranges)
{
	for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum urlpolicy_class got = classify(cases[i].addr);
		if(got != cases[i].cls)
			fprintf(stderr, "  %s: %s, expected %s\n", cases[i].addr, urlpolicy_class_name(got),
			        urlpolicy_class_name(cases[i].cls));
		CHECK(got == cases[i].cls);
	}
	CHECK_STR(urlpolicy_class_name(URLPOLICY_LINK_LOCAL), "link_local");
	CHECK(urlpolicy_classify(NULL, 0) == URLPOLICY_UNSUPPORTED);
	struct sockaddr_in short_in = {.sin_family = AF_INET};
	CHECK(urlpolicy_classify((struct sockaddr *)&short_in, 4) == URLPOLICY_UNSUPPORTED);
	struct sockaddr unix_sa = {.sa_family = AF_UNIX};
	CHECK(urlpolicy_classify(&unix_sa, sizeof(unix_sa)) == URLPOLICY_UNSUPPORTED);
}

TEST_SUITE(urlpolicy_allow_list)
{
	struct urlpolicy pol;
	char err[128] = "";
	CHECK(urlpolicy_init(&pol, false, "", err, sizeof(err)) == WH_OK);
	CHECK(allows(&pol, "8.8.8.8"));
	CHECK(allows(&pol, "2606:4700:4700::1111"));
	CHECK(!allows(&pol, "127.0.0.1"));
	CHECK(!allows(&pol, "::1"));
	CHECK(!allows(&pol, "::ffff:127.0.0.1"));
	CHECK(!allows(&pol, "169.254.169.254"));
	CHECK(!allows(&pol, "0.0.0.0"));
	urlpolicy_release(&pol);

	CHECK(urlpolicy_init(&pol, false, " 127.0.0.0/8 , 10.1.0.0/16,fd00::/8, ::1", err, sizeof(err)) == WH_OK);
	CHECK(pol.ncidrs == 4);
	CHECK(allows(&pol, "127.0.0.1"));
	CHECK(allows(&pol, "127.1.2.3"));
	CHECK(allows(&pol, "::ffff:127.0.0.1")); /* mapped form matches the IPv4 CIDR */
	CHECK(allows(&pol, "::1"));
	CHECK(allows(&pol, "10.1.200.3"));
	CHECK(!allows(&pol, "10.2.0.1"));
	CHECK(allows(&pol, "fd00::5"));
	CHECK(!allows(&pol, "fc00::5"));
	CHECK(!allows(&pol, "0.0.0.0"));
	CHECK(!allows(&pol, "169.254.169.254"));
	urlpolicy_release(&pol);

	CHECK(urlpolicy_init(&pol, false, "10.0.0.7/24", err, sizeof(err)) == WH_OK);
	CHECK(allows(&pol, "10.0.0.200")); /* host bits of the entry are ignored */
	urlpolicy_release(&pol);

	CHECK(urlpolicy_init(&pol, true, NULL, err, sizeof(err)) == WH_OK);
	CHECK(allows(&pol, "127.0.0.1") && allows(&pol, "::1") && allows(&pol, "10.0.0.1"));
	urlpolicy_release(&pol);

	CHECK(urlpolicy_init(&pol, false, "10.0.0.0/33", err, sizeof(err)) == WH_ERR_CONFIG);
	CHECK(strstr(err, "10.0.0.0/33") != NULL);
	CHECK(urlpolicy_init(&pol, false, "10.0.0.0/", err, sizeof(err)) == WH_ERR_CONFIG);
	CHECK(urlpolicy_init(&pol, false, "example.com", err, sizeof(err)) == WH_ERR_CONFIG);
	CHECK(urlpolicy_init(&pol, false, "::1/129", err, sizeof(err)) == WH_ERR_CONFIG);
	CHECK(urlpolicy_init(&pol, false, "10.0.0.0/-1", err, sizeof(err)) == WH_ERR_CONFIG);
	CHECK(pol.ncidrs == 0 && pol.cidrs == NULL);
}
