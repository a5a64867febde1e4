/* Sealed egress through the admin's proxy (SPEC §7, §9, config egress_proxy).
 *
 * Without a proxy the sender checks the URL policy on every socket libcurl opens
 * (CURLOPT_OPENSOCKETFUNCTION). Through a proxy libcurl only ever connects to the proxy,
 * which resolves the target again out of that check's sight. So before such a transfer is
 * handed over, this module resolves the target's name itself, on a small pool of threads
 * (getaddrinfo never blocks the transfer loop), applies the URL policy to every address it
 * resolves to, and names the address the transfer is pinned to: CONNECT (https) then asks
 * the proxy for exactly the address that was checked.
 *
 * No curl types here; the sender turns a verdict into options and error classes. */
#ifndef WH_EGRESS_H
#define WH_EGRESS_H
#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/urlpolicy.h"

/* Longest host name looked up, and a CURLOPT_CONNECT_TO entry "::[v6]:port". */
#define EGRESS_HOST_MAX 256
#define EGRESS_PIN_MAX 80

enum egress_verdict {
	EGRESS_PINNED = 0, /* every address allowed; pinned to the first */
	EGRESS_BLOCKED,    /* an address is refused by the URL policy */
	EGRESS_DNS_ERROR,  /* the name did not resolve */
	EGRESS_BAD_URL,    /* no host or port in the URL */
};

struct egress_result {
	void *owner;                     /* what egress_lookup was given */
	enum egress_verdict verdict;     /* */
	enum urlpolicy_class blocked;    /* EGRESS_BLOCKED: the class of the refused address */
	char connect_to[EGRESS_PIN_MAX]; /* EGRESS_PINNED: "::ADDR:PORT" for CURLOPT_CONNECT_TO */
};

/* Splits an absolute http(s) URL into its host (an IPv6 literal without brackets) and port
 * (the scheme's default when absent). False when the URL has no usable host or port. */
bool egress_target(const char *url, char *host, size_t hostlen, unsigned *port);

/* The verdict on the addresses a name resolved to (ai, as getaddrinfo returns them): all
 * must be allowed by pol, or EGRESS_BLOCKED with the first refused address's class in
 * *blocked. On EGRESS_PINNED, connect_to gets "::ADDR:PORT" for the first address. NULL
 * ai: EGRESS_DNS_ERROR. */
enum egress_verdict egress_check(const struct urlpolicy *pol, const struct addrinfo *ai, unsigned port,
                                 char connect_to[EGRESS_PIN_MAX], enum urlpolicy_class *blocked);

struct egress;
/* A pool of nthreads resolver threads checking against pol (borrowed, must outlive the
 * pool). wake(ud) is called from a resolver thread each time a lookup finishes, so the
 * transfer loop can stop waiting (the sender passes curl_multi_wakeup). */
struct egress *egress_new(const struct urlpolicy *pol, unsigned nthreads, void (*wake)(void *), void *ud);
/* Stops and joins the threads (a lookup under way is waited for) and frees every lookup.
 * NULL-safe. */
void egress_free(struct egress *eg);

/* Queues the lookup of url's host for owner (not NULL, at most one lookup per owner). */
void egress_lookup(struct egress *eg, const char *url, void *owner);
/* Forgets owner's lookup, wherever it is: egress_take never hands it back. */
void egress_cancel(struct egress *eg, void *owner);
/* Takes one finished lookup into *out; false when none is ready. */
bool egress_take(struct egress *eg, struct egress_result *out);

#endif
