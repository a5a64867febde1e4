/* Sealed egress: the egress_proxy value, target parsing, the verdict on resolved addresses
 * (every range on the classifier, nothing connected), and the resolver pool on literals. */
#include <netdb.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "common/urlpolicy.h"
#include "delivery-worker/egress.h"
#include "tests/unit/test.h"

TEST_SUITE(egress_proxy_value)
{
	static const char *const good[] = {"",
	                                   "http://127.0.0.1:3128",
	                                   "http://127.0.0.1:3128/",
	                                   "http://[::1]:8080",
	                                   "http://proxy.example:3128",
	                                   "http://egress-1.example.com:65535"};
	static const char *const bad[] = {"https://127.0.0.1:3128",
	                                  "http://127.0.0.1",
	                                  "http://127.0.0.1:",
	                                  "http://127.0.0.1:0",
	                                  "http://127.0.0.1:65536",
	                                  "http://u:p@127.0.0.1:80",
	                                  "http://127.0.0.1:80/x",
	                                  "http://[::1]",
	                                  "http://[zz]:80",
	                                  "http://-bad.example:80",
	                                  "http://a..example:80",
	                                  "socks5://127.0.0.1:1080",
	                                  "http://:3128",
	                                  "http://300.1.1.1:80",
	                                  "HTTP://127.0.0.1:80",
	                                  "http://exa mple.com:80",
	                                  "http://127.0.0.1:80?x=1",
	                                  "http://127.0.0.1:+80"};
	char why[256];
	for(size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(urlpolicy_proxy_check(good[i], why, sizeof(why)) == WH_OK);
	for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK(urlpolicy_proxy_check(bad[i], why, sizeof(why)) == WH_ERR_CONFIG);
		CHECK(!strncmp(why, "egress_proxy: ", 14));
	}
}

TEST_SUITE(egress_target_host_and_port)
{
	static const struct {
		const char *url, *host;
		unsigned port;
	} cases[] = {
	    {"https://hooks.example.com/a?b=1", "hooks.example.com", 443},
	    {"http://hooks.example.com/a", "hooks.example.com", 80},
	    {"https://hooks.example.com:8443/", "hooks.example.com", 8443},
	    {"http://[::1]:9000/hook", "::1", 9000},
	    {"http://10.0.0.1/internal-admin", "10.0.0.1", 80},
	};
	char host[EGRESS_HOST_MAX];
	unsigned port = 0;
	for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(egress_target(cases[i].url, host, sizeof(host), &port));
		CHECK_STR(host, cases[i].host);
		CHECK(port == cases[i].port);
	}
	CHECK(!egress_target("not a url", host, sizeof(host), &port));
	CHECK(!egress_target("http://:80/nohost", host, sizeof(host), &port));
	CHECK(!egress_target("https://example.com/", host, 4, &port)); /* host longer than room */
}

/* getaddrinfo of a numeric host: no lookup leaves the process. */
static struct addrinfo *numeric(const char *text)
{
	struct addrinfo hints, *ai = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	return getaddrinfo(text, NULL, &hints, &ai) ? NULL : ai;
}

/* The verdict for one address (and, on EGRESS_BLOCKED, its class in *cls). */
static enum egress_verdict verdict(const struct urlpolicy *pol, const char *addr, unsigned port, char *pin,
                                   enum urlpolicy_class *cls)
{
	struct addrinfo *ai = numeric(addr);
	enum egress_verdict v = egress_check(pol, ai, port, pin, cls);
	if(ai)
		freeaddrinfo(ai);
	return v;
}

TEST_SUITE(egress_verdict_on_resolved_addresses)
{
	static const struct {
		const char *addr;
		enum urlpolicy_class cls;
	} refused[] = {
	    {"10.0.0.1", URLPOLICY_PRIVATE},           {"127.0.0.1", URLPOLICY_LOOPBACK},
	    {"169.254.169.254", URLPOLICY_LINK_LOCAL}, {"100.64.0.1", URLPOLICY_CGNAT},
	    {"::ffff:10.0.0.1", URLPOLICY_PRIVATE},    {"64:ff9b::a9fe:a9fe", URLPOLICY_LINK_LOCAL},
	    {"2002:7f00:1::", URLPOLICY_LOOPBACK},     {"fd00::1", URLPOLICY_PRIVATE},
	    {"0.0.0.0", URLPOLICY_UNSPECIFIED},        {"224.0.0.1", URLPOLICY_MULTICAST},
	};
	struct urlpolicy pol, relaxed;
	char err[128], pin[EGRESS_PIN_MAX];
	enum urlpolicy_class cls = URLPOLICY_PUBLIC;
	struct addrinfo *a, *b;
	CHECK(urlpolicy_init(&pol, false, "", err, sizeof(err)) == WH_OK);
	CHECK(urlpolicy_init(&relaxed, false, "10.0.0.0/8", err, sizeof(err)) == WH_OK);
	for(size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CHECK(verdict(&pol, refused[i].addr, 80, pin, &cls) == EGRESS_BLOCKED);
		CHECK(cls == refused[i].cls);
	}
	CHECK(verdict(&pol, "93.184.216.34", 443, pin, &cls) == EGRESS_PINNED);
	CHECK_STR(pin, "::93.184.216.34:443");
	CHECK(verdict(&pol, "2606:2800:220:1::1", 8443, pin, &cls) == EGRESS_PINNED);
	CHECK_STR(pin, "::[2606:2800:220:1::1]:8443");
	CHECK(verdict(&relaxed, "10.1.2.3", 80, pin, &cls) == EGRESS_PINNED); /* allow_cidrs */
	CHECK_STR(pin, "::10.1.2.3:80");
	CHECK(egress_check(&pol, NULL, 80, pin, &cls) == EGRESS_DNS_ERROR);

	/* a name resolving to a public and a private address is refused as a whole: the proxy
	 * resolves again and could pick either */
	a = numeric("93.184.216.34");
	b = numeric("10.0.0.1");
	CHECK(a && b);
	if(a && b) {
		a->ai_next = b;
		CHECK(egress_check(&pol, a, 443, pin, &cls) == EGRESS_BLOCKED);
		CHECK(cls == URLPOLICY_PRIVATE);
		a->ai_next = NULL;
	}
	if(a)
		freeaddrinfo(a);
	if(b)
		freeaddrinfo(b);
	urlpolicy_release(&pol);
	urlpolicy_release(&relaxed);
}

static pthread_mutex_t wakes_mu = PTHREAD_MUTEX_INITIALIZER;
static int wakes;

static void on_wake(void *ud)
{
	(void)ud;
	pthread_mutex_lock(&wakes_mu);
	wakes++;
	pthread_mutex_unlock(&wakes_mu);
}

/* Takes up to n results, waiting at most tries x 5 ms (the pool runs on other threads; a
 * loaded machine only makes the wait longer, never the test wrong). */
static size_t take_all(struct egress *eg, struct egress_result *out, size_t n, int tries)
{
	size_t got = 0;
	struct timespec nap = {0, 5 * 1000 * 1000};
	for(int i = 0; i < tries && got < n; i++)
		if(egress_take(eg, &out[got]))
			got++;
		else
			nanosleep(&nap, NULL);
	return got;
}

TEST_SUITE(egress_resolver_pool)
{
	struct urlpolicy pol;
	char err[128];
	int owners[4];
	struct egress_result r[4];
	struct egress *eg;
	CHECK(urlpolicy_init(&pol, false, "127.0.0.2/32", err, sizeof(err)) == WH_OK);
	eg = egress_new(&pol, 2, on_wake, NULL);
	egress_lookup(eg, "http://127.0.0.2:8080/ok", &owners[0]);
	egress_lookup(eg, "http://10.0.0.1/internal-admin", &owners[1]);
	egress_lookup(eg, "::not a url", &owners[2]);
	egress_lookup(eg, "http://127.0.0.3/cancelled", &owners[3]);
	egress_cancel(eg, &owners[3]);
	CHECK(take_all(eg, r, 3, 6000) == 3);
	CHECK(take_all(eg, &r[3], 1, 20) == 0); /* the cancelled lookup never comes back */
	for(size_t i = 0; i < 3; i++) {
		if(r[i].owner == &owners[0]) {
			CHECK(r[i].verdict == EGRESS_PINNED);
			CHECK_STR(r[i].connect_to, "::127.0.0.2:8080");
		} else if(r[i].owner == &owners[1]) {
			CHECK(r[i].verdict == EGRESS_BLOCKED && r[i].blocked == URLPOLICY_PRIVATE);
		} else {
			CHECK(r[i].owner == &owners[2] && r[i].verdict == EGRESS_BAD_URL);
		}
	}
	pthread_mutex_lock(&wakes_mu);
	CHECK(wakes >= 2); /* each finished lookup woke the loop */
	pthread_mutex_unlock(&wakes_mu);
	egress_lookup(eg, "http://127.0.0.2/left", &owners[0]); /* freed by egress_free */
	egress_free(eg);
	egress_free(NULL);
	urlpolicy_release(&pol);
}
