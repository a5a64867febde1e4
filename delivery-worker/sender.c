/* libcurl multi transfers for delivery attempts. */
#include "delivery-worker/sender.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/ids.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "delivery-worker/egress.h"
#include "delivery-worker/extra_headers.h"
#include "delivery-worker/oauth.h"
#include "delivery-worker/retry.h"
#include "delivery-worker/tokens.h"

struct endpoint {
	char webhook_id[ID_LEN + 1];
	size_t n;
	struct endpoint *next;
};

struct sender {
	CURLM *multi;
	struct sender_opts opts;
	struct job *inflight; /* doubly linked through next/prev */
	size_t ninflight;     /* jobs started and not handed back (waiting for a token too) */
	struct job *failed;   /* completed without a transfer; handed back by sender_run */
	struct endpoint *endpoints;
	struct job *fetches;   /* token requests in flight, doubly linked; each holds its waiters */
	struct tokens *tokens; /* the OAuth token flow */
	struct egress *egress; /* resolves targets before the proxy is asked; NULL without one */
	struct job *resolving; /* transfers (and token requests) waiting for egress, doubly linked */
	/* The header lines every delivery, or every token request, sends: one list each, which
	 * each job's own lines link to instead of holding copies (job.h). */
	struct curl_slist delivery_lines[3], token_lines[4];
};

static char line_json[] = "Content-Type: application/json";
static char line_form[] = "Content-Type: application/x-www-form-urlencoded";
static char line_accept_json[] = "Accept: application/json";
static char line_agent[] = "User-Agent: linehook/" LINEHOOK_VERSION;
static char line_no_expect[] = "Expect:"; /* no 100-continue round trip */

static void lines_link(struct curl_slist *nodes, char *const *text, size_t n)
{
	for(size_t i = 0; i < n; i++) {
		nodes[i].data = text[i];
		nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
	}
}

/* Resolver threads for the egress proxy: enough that one slow name doesn't hold the others. */
#define SENDER_RESOLVERS 4

static void wake(void *ud)
{
	curl_multi_wakeup(ud);
}

struct sender *sender_new(const struct sender_opts *opts)
{
	struct sender *s = xcalloc(1, sizeof(*s));
	s->opts = *opts;
	s->multi = curl_multi_init();
	if(!s->multi) {
		log_err("curl_multi_init failed");
		abort();
	}
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, opts->max_connections);
	lines_link(s->delivery_lines, (char *const[]){line_json, line_agent, line_no_expect}, 3);
	lines_link(s->token_lines, (char *const[]){line_form, line_accept_json, line_agent, line_no_expect}, 4);
	s->tokens = tokens_new(opts->master_key);
	if(opts->egress_proxy && *opts->egress_proxy) {
		s->egress = egress_new(opts->policy, SENDER_RESOLVERS, wake, s->multi);
		log_info("egress through the proxy %s (targets resolved and checked first)", opts->egress_proxy);
	} else
		s->opts.egress_proxy = NULL;
	return s;
}

static struct endpoint **endpoint_find(struct sender *s, const char *webhook_id)
{
	struct endpoint **e = &s->endpoints;
	while(*e && strcmp((*e)->webhook_id, webhook_id))
		e = &(*e)->next;
	return e;
}

static void endpoint_add(struct sender *s, const char *webhook_id, int delta)
{
	struct endpoint **e = endpoint_find(s, webhook_id);
	if(!*e) {
		*e = xcalloc(1, sizeof(**e));
		snprintf((*e)->webhook_id, sizeof((*e)->webhook_id), "%s", webhook_id);
	}
	(*e)->n = (size_t)((long)(*e)->n + delta);
	if((*e)->n == 0) {
		struct endpoint *dead = *e;
		*e = dead->next;
		free(dead);
	}
}

/* A job counts in flight (and against its endpoint) from sender_start until handed back. */
static void track(struct sender *s, const struct job *job, int delta)
{
	s->ninflight = (size_t)((long)s->ninflight + delta);
	endpoint_add(s, job->webhook_id, delta);
}

static struct job **list_of(struct sender *s, const struct job *job)
{
	return job->token_fetch ? &s->fetches : &s->inflight;
}

static void list_link(struct job **head, struct job *job)
{
	job->prev = NULL;
	job->next = *head;
	if(*head)
		(*head)->prev = job;
	*head = job;
}

static void list_unlink(struct job **head, struct job *job)
{
	if(job->prev)
		job->prev->next = job->next;
	else
		*head = job->next;
	if(job->next)
		job->next->prev = job->prev;
	job->next = job->prev = NULL;
}

/* Hands a finished job back: no longer counted, prepended to *to. */
static void complete(struct sender *s, struct job *job, struct job **to)
{
	track(s, job, -1);
	job->duration_ms = time_mono_ms() - job->start_mono;
	job->next = *to;
	*to = job;
}

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
	struct job *job = ud;
	size_t len = size * n, keep = 0;
	if(job->body_seen + len > JOB_BODY_READ_MAX) {
		job->body_capped = true;
		return 0; /* stop reading: the status is known, the rest is not wanted */
	}
	if(job->body.len < job->body_keep)
		keep = len < job->body_keep - job->body.len ? len : job->body_keep - job->body.len;
	if(keep && buf_add(&job->body, ptr, keep))
		return 0;
	job->body_seen += len;
	return len;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *ud)
{
	struct job *job = ud;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if(len > sizeof(name) - 1 && len < 128 && !strncasecmp(ptr, name, sizeof(name) - 1)) {
		char value[128];
		memcpy(value, ptr + sizeof(name) - 1, len - (sizeof(name) - 1));
		value[len - (sizeof(name) - 1)] = '\0';
		job->retry_after_s = retry_after_parse(value, time_now_ms() / 1000);
	}
	return len;
}

/* The URL policy, on the address curl is about to connect to (after DNS resolution). */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct job *job = ud;
	const struct urlpolicy *policy = job->policy;
	(void)purpose;
	/* Through the proxy every socket is the proxy's (CURLOPT_NOPROXY is ""), which is exempt:
	 * the target's addresses were checked before the transfer was handed over. */
	if(!job->via_proxy && !job->inbox_target && !urlpolicy_allows(policy, &addr->addr, addr->addrlen)) {
		job->blocked = true;
		log_info("%s %s: refused a %s address (URL policy)",
		         job->token_fetch ? "token request of webhook" : "delivery",
		         job->token_fetch ? job->webhook_id : job->id,
		         urlpolicy_class_name(urlpolicy_classify(&addr->addr, addr->addrlen)));
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

/* Every request of a delivery is an attempt, recorded. libcurl 7.88 sends a request again by
 * itself, on a fresh connection, when a reused keep-alive connection closes without a byte of
 * answer (lib/transfer.c Curl_retry_request, "Connection died, retrying a fresh connect"),
 * and a POST body it holds needs no rewind for that: an endpoint that read the request and
 * then closed the connection got it twice, with one attempt recorded. curl calls this before
 * every request of a transfer, the resend included, so a second call is refused: the attempt
 * ends as connection_closed, recorded, and is retried on the schedule. */
static int on_prereq(void *ud, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	struct job *job = ud;
	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	if(job->requests++ == 0)
		return CURL_PREREQFUNC_OK;
	job->resend_refused = true;
	log_info("delivery %s: the connection closed without an answer after the request was sent; "
	         "not sent again on a new connection (connection_closed, retried on the schedule)",
	         job->id);
	return CURL_PREREQFUNC_ABORT;
}

/* Appends "name: value" and its NUL. */
static enum wh_err line_add(struct buf *text, const char *name, const char *value)
{
	enum wh_err result = buf_addf(text, "%s: %s", name, value);
	return result ? result : buf_add(text, "", 1);
}

/* The delivery's own lines with its custom headers, once per attempt, in one allocation
 * linked to the lines every delivery sends; the signatures and the opened custom headers are
 * released then, the lines hold them. */
static enum wh_err own_lines(struct sender *s, struct job *job)
{
	struct buf text;
	char ts[24];
	size_t n = 4;
	enum wh_err result;
	buf_init(&text, 64 * 1024);
	snprintf(ts, sizeof(ts), "%lld", job->timestamp_s);
	result = line_add(&text, "X-Waitwhile-Signature", buf_str(&job->sig_waitwhile));
	if(!result)
		result = line_add(&text, "webhook-id", job->event_id);
	if(!result)
		result = line_add(&text, "webhook-timestamp", ts);
	if(!result)
		result = line_add(&text, "webhook-signature", buf_str(&job->sig_standard));
	if(!result)
		result = extra_headers_lines(job, &text, &n);
	if(!result) {
		job->own_lines = job_lines_new(text.ptr, text.len, n, s->delivery_lines);
		buf_release(&job->sig_waitwhile);
		buf_release(&job->sig_standard);
		crypto_buf_wipe(&job->extra_headers);
	}
	crypto_buf_wipe(&text);
	return result;
}

/* The delivery's headers, with Authorization when bearer is not NULL (a refresh replaces the
 * bearer line only). */
static enum wh_err build_headers(struct sender *s, struct job *job, const char *bearer)
{
	struct buf line;
	enum wh_err result = job->own_lines ? WH_OK : own_lines(s, job);
	if(result)
		return result;
	job_bearer_release(job);
	if(!bearer)
		return WH_OK;
	buf_init(&line, OAUTH_TOKEN_MAX + 64);
	result = buf_addf(&line, "Authorization: Bearer %s", bearer);
	if(!result) {
		job->bearer_line = job_lines_new(line.ptr, line.len + 1, 1, job->own_lines);
		job->headers = job->bearer_line;
	}
	crypto_buf_wipe(&line);
	return result;
}

/* request_timeout_ms, cut to what is left before the job's deadline (its lease, minus the
 * time kept for recording: an OAuth attempt can make up to four requests and all of them
 * end inside the lease). */
static long timeout_for(const struct sender *s, const struct job *job)
{
	long long left;
	if(!job->deadline_mono)
		return s->opts.request_timeout_ms;
	left = job->deadline_mono - time_mono_ms();
	if(left < 1)
		left = 1;
	return left < s->opts.request_timeout_ms ? (long)left : s->opts.request_timeout_ms;
}

static CURL *easy_for(const struct sender *s, struct job *job)
{
	CURL *e = curl_easy_init();
	if(!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, job->url);
	/* Never a proxy from the environment: "" disables http_proxy, ALL_PROXY and the rest,
	 * and an empty no-proxy list keeps no_proxy from sending a target around the proxy. */
	curl_easy_setopt(e, CURLOPT_PROXY, s->opts.egress_proxy ? s->opts.egress_proxy : "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	if(job->connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, (struct curl_slist *)job->connect_to);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, s->opts.allow_http || job->inbox_target ? "http,https" : "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, job->payload);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)job->payload_len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)job->headers);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s->opts.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_for(s, job));
	/* libcurl's smallest receive buffer: 4 KiB of an answer are kept, at most 64 KiB read,
	 * and the 16 KiB default costs memory per transfer in flight (bench finding 5). */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 1024L);
	/* Over TLS libcurl copies the request into an upload buffer held until the transfer ends
	 * (64 KiB by default): its smallest, 16 KiB, saves about 1 KiB resident per transfer in
	 * flight (bench/README.md finding 5). */
	curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, job);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, job);
	/* A connection idle for longer is not reused: well below the keep-alive timeouts endpoints
	 * commonly have (5 s and more), so one hardly ever closes under our request. */
	curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, s->opts.keepalive_max_idle_s);
	job->requests = 0;
	job->resend_refused = false;
	if(!job->token_fetch) { /* a token request may go twice: it only asks for a token */
		curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
		curl_easy_setopt(e, CURLOPT_PREREQDATA, job);
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, job);
	return e;
}

static void token_done(struct sender *s, struct job *fetch, CURLcode code, struct job **done);
static const char *error_class(const struct job *job, CURLcode code);

/* Completes a delivery whose token could not be had: oauth_token_failed, the reason as
 * the attempt's response body. */
static void token_failed(struct sender *s, struct job *job, const char *why, struct job **to)
{
	job->error = "oauth_token_failed";
	job->status_code = 0;
	buf_reset(&job->body);
	if(buf_adds(&job->body, why)) /* longer than the body kept: recorded without the reason */
		log_warn("delivery %s: the token failure's reason does not fit the attempt record", job->id);
	complete(s, job, to);
}

/* A transfer that ends before curl has it (code says why): completed at once, handed
 * back by sender_run. */
static void transfer_failed(struct sender *s, struct job *job, CURLcode code)
{
	job->error = code == CURLE_FAILED_INIT ? "internal" : error_class(job, code);
	if(job->token_fetch)
		token_done(s, job, code, &s->failed);
	else
		complete(s, job, &s->failed);
}

/* Hands the transfer to curl. connect_to: the address egress checked, or NULL. Only a
 * CONNECT tunnel (https) can be pinned; a plain http request names its host to the proxy,
 * which resolves it again. */
static void transfer_launch(struct sender *s, struct job *job, const char *connect_to)
{
	curl_slist_free_all(job->connect_to);
	job->connect_to = NULL;
	if(connect_to && !strncasecmp(job->url, "https://", 8) &&
	   !(job->connect_to = curl_slist_append(NULL, connect_to))) {
		transfer_failed(s, job, CURLE_FAILED_INIT);
		return;
	}
	if(!(job->easy = easy_for(s, job)) || curl_multi_add_handle(s->multi, job->easy)) {
		transfer_failed(s, job, CURLE_FAILED_INIT);
		return;
	}
	list_link(list_of(s, job), job);
}

/* Starts the HTTP transfer of a job sender_start counted (or of a token request): at once,
 * or through the egress proxy once its target is resolved and checked (sender_run). */
static void transfer_start(struct sender *s, struct job *job, const char *bearer)
{
	enum wh_err result = WH_OK;
	if(job->token_fetch)
		job->headers = s->token_lines;
	else
		result = build_headers(s, job, bearer);
	if(result) {
		transfer_failed(s, job, CURLE_FAILED_INIT);
		return;
	}
	job->via_proxy = s->egress != NULL;
	if(!s->egress || job->inbox_target) { /* an inbox of this service is exempt from the policy */
		transfer_launch(s, job, NULL);
		return;
	}
	list_link(&s->resolving, job);
	egress_lookup(s->egress, job->url, job);
}

/* Transfers whose target egress has resolved: launched when every address is allowed,
 * failed otherwise, before the proxy is asked anything. */
static void resolved(struct sender *s)
{
	struct egress_result r;
	while(s->egress && egress_take(s->egress, &r)) {
		struct job *job = r.owner;
		list_unlink(&s->resolving, job);
		if(r.verdict == EGRESS_PINNED) {
			transfer_launch(s, job, r.connect_to);
			continue;
		}
		if(r.verdict == EGRESS_BLOCKED) {
			job->blocked = true;
			log_info("%s %s: the target resolves to a %s address (URL policy, before the egress proxy)",
			         job->token_fetch ? "token request of webhook" : "delivery",
			         job->token_fetch ? job->webhook_id : job->id, urlpolicy_class_name(r.blocked));
		}
		transfer_failed(s, job,
		                r.verdict == EGRESS_BLOCKED     ? CURLE_COULDNT_CONNECT
		                : r.verdict == EGRESS_DNS_ERROR ? CURLE_COULDNT_RESOLVE_HOST
		                                                : CURLE_URL_MALFORMAT);
	}
}

/* A delivery to an OAuth endpoint: sent with the cached token, or joined to the webhook's
 * token request (started when there is none in flight), see tokens.h. */
static void oauth_start(struct sender *s, struct job *job)
{
	char why[OAUTH_REASON_MAX];
	const char *token = NULL;
	struct job *fetch = NULL;
	switch(tokens_acquire(s->tokens, job, time_now_ms(), &token, &fetch, why, sizeof(why))) {
	case TOKENS_READY:
		transfer_start(s, job, token);
		break;
	case TOKENS_WAIT:
		break;
	case TOKENS_FETCH:
		fetch->policy = s->opts.policy;
		fetch->start_mono = job->start_mono;
		fetch->deadline_mono = job->deadline_mono; /* inside the lease of the attempt that needs it */
		transfer_start(s, fetch, NULL);
		break;
	case TOKENS_FAILED:
		token_failed(s, job, why, &s->failed);
		break;
	}
}

void sender_start(struct sender *s, struct job *job)
{
	job->policy = s->opts.policy;
	job->at_ms = time_now_ms();
	job->start_mono = time_mono_ms();
	log_debug("delivery %s: attempt started (lease %s)", job->id, job->lease);
	track(s, job, +1);
	if(job->oauth_json)
		oauth_start(s, job);
	else
		transfer_start(s, job, NULL);
}

static const char *error_class(const struct job *job, CURLcode code)
{
	if(job->blocked)
		return "blocked_address";
	if(job->resend_refused)
		return "connection_closed";
	switch(code) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_COULDNT_CONNECT:
		return "connection_refused";
	case CURLE_COULDNT_RESOLVE_HOST:
		return "dns_error";
	case CURLE_GOT_NOTHING: /* "Empty reply from server": closed without an answer */
		return "connection_closed";
	case CURLE_TOO_MANY_REDIRECTS:
		return "too_many_redirects";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		return "tls_error";
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return "invalid_url";
	default:
		return "connection_error";
	}
}

/* A token request ended: its waiters are sent with the new token, or fail. Frees fetch. */
static void token_done(struct sender *s, struct job *fetch, CURLcode code, struct job **done)
{
	char why[OAUTH_REASON_MAX];
	struct buf token;
	struct job *waiters = NULL;
	bool ok;
	buf_init(&token, OAUTH_TOKEN_MAX + 1);
	ok = tokens_done(s->tokens, fetch, code == CURLE_OK ? NULL : fetch->error, time_now_ms(), &token, &waiters, why,
	                 sizeof(why)) == WH_OK;
	while(waiters) {
		struct job *job = waiters;
		waiters = job->next;
		job->next = NULL;
		if(ok)
			transfer_start(s, job, buf_str(&token));
		else
			token_failed(s, job, why, done);
	}
	crypto_buf_wipe(&token);
	job_free(fetch);
}

/* The endpoint refused the token: drop it and try once more with a fresh one. */
static void refresh(struct sender *s, struct job *job)
{
	log_debug("delivery %s: the endpoint answered 401; fetching a new token", job->id);
	tokens_refused(s->tokens, job);
	job->oauth_refreshed = true;
	job->status_code = 0;
	job->error = NULL;
	job->blocked = job->body_capped = false;
	job->body_seen = 0;
	job->retry_after_s = -1;
	buf_reset(&job->body);
	oauth_start(s, job);
}

static void finish(struct sender *s, CURL *easy, CURLcode code, struct job **done)
{
	struct job *job = NULL;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&job);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(s->multi, easy);
	list_unlink(list_of(s, job), job);
	job->status_code = status;
	if(code == CURLE_OK || (code == CURLE_WRITE_ERROR && job->body_capped && status))
		job->error = retry_is_success(status, false) ? NULL : "http_status";
	else
		job->error = error_class(job, code);
	curl_easy_cleanup(easy);
	job->easy = NULL;
	if(job->token_fetch)
		token_done(s, job, code, done);
	else if(job->oauth_json && status == 401 && !job->oauth_refreshed)
		refresh(s, job);
	else
		complete(s, job, done);
}

/* Hands back the jobs completed without a transfer; true when there were any. */
static bool hand_back_failed(struct sender *s, struct job **done)
{
	bool any = s->failed != NULL;
	while(s->failed) {
		struct job *job = s->failed;
		s->failed = job->next;
		job->next = *done;
		*done = job;
	}
	return any;
}

void sender_run(struct sender *s, int timeout_ms, struct job **done)
{
	int running = 0, left = 0;
	CURLMsg *msg;
	resolved(s);
	if(hand_back_failed(s, done))
		timeout_ms = 0;
	curl_multi_perform(s->multi, &running);
	if(timeout_ms > 0)
		curl_multi_poll(s->multi, NULL, 0, timeout_ms, NULL);
	resolved(s); /* lookups that finished while waiting start now */
	curl_multi_perform(s->multi, &running);
	while((msg = curl_multi_info_read(s->multi, &left)))
		if(msg->msg == CURLMSG_DONE)
			finish(s, msg->easy_handle, msg->data.result, done);
	hand_back_failed(s, done);
}

size_t sender_in_flight(const struct sender *s)
{
	return s->ninflight;
}

size_t sender_count(const struct sender *s, const char *webhook_id)
{
	for(const struct endpoint *e = s->endpoints; e; e = e->next)
		if(!strcmp(e->webhook_id, webhook_id))
			return e->n;
	return 0;
}

enum wh_err sender_saturated(const struct sender *s, size_t cap, struct buf *out)
{
	enum wh_err result = WH_OK;
	for(const struct endpoint *e = s->endpoints; e && !result; e = e->next)
		if(e->n >= cap) {
			if(out->len)
				result = buf_adds(out, ",");
			if(!result)
				result = buf_adds(out, e->webhook_id);
		}
	return result;
}

/* A job (or a token request with its waiters) leaves the sender unfinished. */
static void abort_one(struct sender *s, struct job *job, struct job **aborted)
{
	if(job->easy) {
		curl_multi_remove_handle(s->multi, job->easy);
		curl_easy_cleanup(job->easy);
		job->easy = NULL;
	}
	if(!job->token_fetch) {
		track(s, job, -1);
		job->next = *aborted;
		*aborted = job;
		return;
	}
	for(struct job *waiter = tokens_abandon(s->tokens, job), *next; waiter; waiter = next) {
		next = waiter->next;
		track(s, waiter, -1);
		waiter->next = *aborted;
		*aborted = waiter;
	}
	job_free(job);
}

void sender_abort_all(struct sender *s, struct job **aborted)
{
	struct job **lists[] = {&s->inflight, &s->fetches, &s->resolving};
	for(size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		while(*lists[i]) {
			struct job *job = *lists[i];
			if(lists[i] == &s->resolving)
				egress_cancel(s->egress, job);
			list_unlink(lists[i], job);
			abort_one(s, job, aborted);
		}
	hand_back_failed(s, aborted);
}

void sender_free(struct sender *s)
{
	struct job *jobs = NULL;
	if(!s)
		return;
	sender_abort_all(s, &jobs);
	while(jobs) {
		struct job *next = jobs->next;
		job_free(jobs);
		jobs = next;
	}
	egress_free(s->egress); /* its threads wake the multi handle: stopped first */
	curl_multi_cleanup(s->multi);
	tokens_free(s->tokens);
	free(s);
}

void sender_wakeup(struct sender *s)
{
	curl_multi_wakeup(s->multi);
}
