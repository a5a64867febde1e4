/* The HTTP side: one libcurl multi handle with many transfers in flight, connections
 * reused from its cache, the URL policy checked on every address actually connected to
 * (CURLOPT_OPENSOCKETFUNCTION), no redirects, bounded response reading, and a count of
 * transfers per webhook so callers can cap each endpoint.
 *
 * No request is ever sent twice silently: libcurl's own resend on a fresh connection, when a
 * reused one closed without an answer, is refused (the attempt ends as connection_closed and
 * is retried on the schedule), and connections idle for longer than keepalive_max_idle_s are
 * not reused, so an endpoint's keep-alive timeout hardly ever closes one under a request.
 *
 * Egress is sealed: no proxy is ever taken from the environment (http_proxy, ALL_PROXY,
 * no_proxy are ignored). With egress_proxy every transfer, token requests included, goes
 * through that proxy, after egress.h has resolved the target and checked every address
 * against the URL policy; https is tunnelled with CONNECT to the address checked. */
#ifndef WH_SENDER_H
#define WH_SENDER_H
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/urlpolicy.h"
#include "delivery-worker/job.h"

struct sender;

struct sender_opts {
	long connect_timeout_ms;
	long request_timeout_ms;
	long max_connections;            /* connection cache size */
	bool allow_http;                 /* http:// as well as https:// (allow_http_targets) */
	const struct urlpolicy *policy;  /* borrowed, must outlive the sender */
	const unsigned char *master_key; /* opens OAuth private keys; copied (tokens.h) */
	const char *egress_proxy;        /* borrowed: "http://host:port", or NULL / "" for none */
	long keepalive_max_idle_s;       /* a connection idle longer is not reused (whole seconds) */
};

struct sender *sender_new(const struct sender_opts *opts);
/* Aborts whatever is in flight and frees it (jobs included). NULL-safe. */
void sender_free(struct sender *s);

/* Starts the attempt of a signed job (skip == JOB_SEND); the sender owns it until it comes
 * back from sender_run. Every request of the attempt ends by job->deadline_mono (when not
 * 0) as well as within request_timeout_ms. A job with oauth_json first gets a bearer token
 * (tokens.h): from
 * the cache, or by joining the webhook's token request on the same multi handle; a 401
 * answer refreshes the token once within the attempt; no token: error
 * "oauth_token_failed" with the reason as the body. WH_ERR_INTERNAL when curl refuses the handle (the job is then
 * completed at once with error "internal" and handed back by the next sender_run). */
void sender_start(struct sender *s, struct job *job);

/* Drives transfers, waiting up to timeout_ms for activity. Finished jobs, with status_code,
 * error, body and duration_ms filled, are prepended to *done. */
void sender_run(struct sender *s, int timeout_ms, struct job **done);

size_t sender_in_flight(const struct sender *s);
/* Transfers in flight to one webhook. */
size_t sender_count(const struct sender *s, const char *webhook_id);
/* Appends to out the comma-separated ids of webhooks with at least cap transfers in flight.
 * WH_ERR_TOO_LARGE when out's maximum is reached (out is then released, see buf_add). */
enum wh_err sender_saturated(const struct sender *s, size_t cap, struct buf *out);
/* Ends a sender_run wait now (or the next one, when none is under way). The only call that
 * is safe from another thread. */
void sender_wakeup(struct sender *s);
/* Stops every transfer in flight and hands the jobs back in *aborted, unfinished. */
void sender_abort_all(struct sender *s, struct job **aborted);

#endif
