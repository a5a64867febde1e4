/* Target resolution and the URL policy for transfers through the egress proxy. */
#include "delivery-worker/egress.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/xalloc.h"

#define EGRESS_THREADS_MAX 16

/* Parsed by libcurl's own URL parser, so the name checked is the name curl would use. */
bool egress_target(const char *url, char *host, size_t hostlen, unsigned *port)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL, *end = NULL;
	size_t n;
	long v;
	bool ok = false;
	if(!u || curl_url_set(u, CURLUPART_URL, url, 0) || curl_url_get(u, CURLUPART_HOST, &h, 0) ||
	   curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT))
		goto out;
	n = strlen(h);
	if(n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h[n - 1] = '\0';
		memmove(h, h + 1, n - 1);
		n -= 2;
	}
	v = strtol(p, &end, 10);
	if(n == 0 || n >= hostlen || *end || v < 1 || v > 65535)
		goto out;
	memcpy(host, h, n + 1);
	*port = (unsigned)v;
	ok = true;
out:
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return ok;
}

enum egress_verdict egress_check(const struct urlpolicy *pol, const struct addrinfo *ai, unsigned port,
                                 char connect_to[EGRESS_PIN_MAX], enum urlpolicy_class *blocked)
{
	char text[INET6_ADDRSTRLEN];
	const void *addr;
	if(!ai)
		return EGRESS_DNS_ERROR;
	for(const struct addrinfo *a = ai; a; a = a->ai_next)
		if(!urlpolicy_allows(pol, a->ai_addr, a->ai_addrlen)) {
			*blocked = urlpolicy_classify(a->ai_addr, a->ai_addrlen);
			return EGRESS_BLOCKED;
		}
	if(ai->ai_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
	else
		addr = &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
	if(!inet_ntop(ai->ai_family, addr, text, sizeof(text)))
		return EGRESS_DNS_ERROR;
	snprintf(connect_to, EGRESS_PIN_MAX, ai->ai_family == AF_INET6 ? "::[%s]:%u" : "::%s:%u", text, port);
	return EGRESS_PINNED;
}

enum lookup_state { LOOKUP_QUEUED, LOOKUP_RUNNING, LOOKUP_DONE };

struct lookup {
	struct egress_result r; /* r.owner NULL: cancelled */
	char host[EGRESS_HOST_MAX];
	unsigned port;
	enum lookup_state state;
	struct lookup *next;
};

struct egress {
	const struct urlpolicy *policy;
	void (*wake)(void *);
	void *wake_ud;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lookup *queued, *queued_tail; /* FIFO */
	struct lookup *running;              /* held by a thread each */
	struct lookup *done;                 /* waiting for egress_take */
	bool stopping;
	unsigned nthreads;
	pthread_t threads[EGRESS_THREADS_MAX];
};

static void resolve(const struct urlpolicy *pol, struct lookup *l)
{
	struct addrinfo hints, *ai = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if(getaddrinfo(l->host, NULL, &hints, &ai))
		ai = NULL;
	l->r.verdict = egress_check(pol, ai, l->port, l->r.connect_to, &l->r.blocked);
	if(ai)
		freeaddrinfo(ai);
}

static void list_remove(struct lookup **head, struct lookup *l)
{
	while(*head && *head != l)
		head = &(*head)->next;
	if(*head)
		*head = l->next;
	l->next = NULL;
}

static void *resolver_main(void *arg)
{
	struct egress *eg = arg;
	pthread_mutex_lock(&eg->mu);
	for(;;) {
		struct lookup *l;
		while(!eg->stopping && !eg->queued)
			pthread_cond_wait(&eg->cv, &eg->mu);
		if(eg->stopping)
			break;
		l = eg->queued;
		eg->queued = l->next;
		if(!eg->queued)
			eg->queued_tail = NULL;
		l->state = LOOKUP_RUNNING;
		l->next = eg->running;
		eg->running = l;
		pthread_mutex_unlock(&eg->mu);
		resolve(eg->policy, l);
		pthread_mutex_lock(&eg->mu);
		list_remove(&eg->running, l);
		if(!l->r.owner) { /* cancelled meanwhile */
			free(l);
			continue;
		}
		l->state = LOOKUP_DONE;
		l->next = eg->done;
		eg->done = l;
		pthread_mutex_unlock(&eg->mu);
		eg->wake(eg->wake_ud);
		pthread_mutex_lock(&eg->mu);
	}
	pthread_mutex_unlock(&eg->mu);
	return NULL;
}

struct egress *egress_new(const struct urlpolicy *pol, unsigned nthreads, void (*wake)(void *), void *ud)
{
	struct egress *eg = xcalloc(1, sizeof(*eg));
	eg->policy = pol;
	eg->wake = wake;
	eg->wake_ud = ud;
	pthread_mutex_init(&eg->mu, NULL);
	pthread_cond_init(&eg->cv, NULL);
	if(nthreads < 1)
		nthreads = 1;
	if(nthreads > EGRESS_THREADS_MAX)
		nthreads = EGRESS_THREADS_MAX;
	for(unsigned i = 0; i < nthreads; i++) {
		if(pthread_create(&eg->threads[i], NULL, resolver_main, eg)) {
			log_err("cannot start a resolver thread");
			abort();
		}
		eg->nthreads++;
	}
	return eg;
}

static void list_free(struct lookup *l)
{
	while(l) {
		struct lookup *next = l->next;
		free(l);
		l = next;
	}
}

void egress_free(struct egress *eg)
{
	if(!eg)
		return;
	pthread_mutex_lock(&eg->mu);
	eg->stopping = true;
	pthread_cond_broadcast(&eg->cv);
	pthread_mutex_unlock(&eg->mu);
	for(unsigned i = 0; i < eg->nthreads; i++)
		pthread_join(eg->threads[i], NULL);
	list_free(eg->queued);
	list_free(eg->running); /* none: every thread put its lookup back before stopping */
	list_free(eg->done);
	pthread_cond_destroy(&eg->cv);
	pthread_mutex_destroy(&eg->mu);
	free(eg);
}

void egress_lookup(struct egress *eg, const char *url, void *owner)
{
	struct lookup *l = xcalloc(1, sizeof(*l));
	l->r.owner = owner;
	pthread_mutex_lock(&eg->mu);
	if(!egress_target(url, l->host, sizeof(l->host), &l->port)) {
		l->r.verdict = EGRESS_BAD_URL;
		l->state = LOOKUP_DONE;
		l->next = eg->done;
		eg->done = l;
	} else {
		if(eg->queued_tail)
			eg->queued_tail->next = l;
		else
			eg->queued = l;
		eg->queued_tail = l;
		pthread_cond_signal(&eg->cv);
	}
	pthread_mutex_unlock(&eg->mu);
}

static struct lookup *find(struct lookup *l, const void *owner)
{
	while(l && l->r.owner != owner)
		l = l->next;
	return l;
}

void egress_cancel(struct egress *eg, void *owner)
{
	struct lookup *l;
	pthread_mutex_lock(&eg->mu);
	if((l = find(eg->queued, owner))) {
		list_remove(&eg->queued, l);
		eg->queued_tail = NULL;
		for(struct lookup *t = eg->queued; t; t = t->next)
			eg->queued_tail = t;
		free(l);
	} else if((l = find(eg->done, owner))) {
		list_remove(&eg->done, l);
		free(l);
	} else if((l = find(eg->running, owner))) {
		l->r.owner = NULL; /* its thread frees it */
	}
	pthread_mutex_unlock(&eg->mu);
}

bool egress_take(struct egress *eg, struct egress_result *out)
{
	struct lookup *l;
	pthread_mutex_lock(&eg->mu);
	l = eg->done;
	if(l)
		eg->done = l->next;
	pthread_mutex_unlock(&eg->mu);
	if(!l)
		return false;
	*out = l->r;
	free(l);
	return true;
}
