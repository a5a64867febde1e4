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
#include "delivery-worker/extra_headers.h"
#include "delivery-worker/oauth.h"
#include "delivery-worker/retry.h"

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
	struct job *fetches; /* token requests in flight, doubly linked; each holds its waiters */
	struct oauth_cache *tokens;
};

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
	s->tokens = oauth_cache_new(OAUTH_CACHE_MAX);
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
	if(!job->inbox_target && !urlpolicy_allows(policy, &addr->addr, addr->addrlen)) {
		job->blocked = true;
		log_info("%s %s: refused a %s address (URL policy)",
		         job->token_fetch ? "token request of webhook" : "delivery",
		         job->token_fetch ? job->webhook_id : job->id,
		         urlpolicy_class_name(urlpolicy_classify(&addr->addr, addr->addrlen)));
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

static enum wh_err headers_set(struct job *job, const char *const *lines, size_t n)
{
	struct curl_slist *h = NULL, *t;
	for(size_t i = 0; i < n; i++) {
		t = curl_slist_append(h, lines[i]);
		if(!t) {
			curl_slist_free_all(h);
			return WH_ERR_INTERNAL;
		}
		h = t;
	}
	job->headers = h;
	return WH_OK;
}

static enum wh_err token_headers(struct job *job)
{
	static const char *const lines[] = {"Content-Type: application/x-www-form-urlencoded",
	                                    "Accept: application/json", "User-Agent: linehook/" LINEHOOK_VERSION,
	                                    "Expect:"};
	return headers_set(job, lines, sizeof(lines) / sizeof(lines[0]));
}

/* The delivery's headers, with Authorization when bearer is not NULL. */
static enum wh_err build_headers(struct job *job, const char *bearer)
{
	char line[2048];
	const char *lines[8];
	char ts[64], id[64], ww[128];
	struct buf auth;
	enum wh_err result;
	snprintf(ts, sizeof(ts), "webhook-timestamp: %lld", job->timestamp_s);
	snprintf(id, sizeof(id), "webhook-id: %s", job->event_id);
	snprintf(ww, sizeof(ww), "X-Waitwhile-Signature: %s", buf_str(&job->sig_waitwhile));
	snprintf(line, sizeof(line), "webhook-signature: %s", buf_str(&job->sig_standard));
	lines[0] = "Content-Type: application/json";
	lines[1] = "User-Agent: linehook/" LINEHOOK_VERSION;
	lines[2] = ww;
	lines[3] = id;
	lines[4] = ts;
	lines[5] = line;
	lines[6] = "Expect:"; /* no 100-continue round trip */
	buf_init(&auth, OAUTH_TOKEN_MAX + 64);
	if(bearer) {
		buf_adds(&auth, "Authorization: Bearer ");
		buf_adds(&auth, bearer);
		lines[7] = buf_str(&auth);
	}
	result = headers_set(job, lines, bearer ? 8 : 7);
	if(!result)
		result = extra_headers_append(job);
	crypto_buf_wipe(&auth);
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
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, job);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, job);
	curl_easy_setopt(e, CURLOPT_PRIVATE, job);
	return e;
}

static void token_done(struct sender *s, struct job *fetch, CURLcode code, struct job **done);

/* Completes a delivery whose token could not be had: oauth_token_failed, the reason as
 * the attempt's response body. */
static void token_failed(struct sender *s, struct job *job, const char *why, struct job **to)
{
	job->error = "oauth_token_failed";
	job->status_code = 0;
	buf_reset(&job->body);
	buf_adds(&job->body, why);
	complete(s, job, to);
}

/* Starts the HTTP transfer of a job sender_start counted (or of a token request). */
static void transfer_start(struct sender *s, struct job *job, const char *bearer)
{
	enum wh_err result = job->token_fetch ? token_headers(job) : build_headers(job, bearer);
	if(result || !(job->easy = easy_for(s, job)) || curl_multi_add_handle(s->multi, job->easy)) {
		if(job->token_fetch) {
			token_done(s, job, CURLE_FAILED_INIT, &s->failed);
			return;
		}
		job->error = "internal";
		complete(s, job, &s->failed);
		return;
	}
	list_link(list_of(s, job), job);
}

/* A delivery to an OAuth endpoint: sent with the cached token, or joined to the webhook's
 * token request (started when there is none in flight). */
static void oauth_start(struct sender *s, struct job *job)
{
	char why[OAUTH_REASON_MAX];
	struct job *fetch;
	const char *token = oauth_cache_get(s->tokens, job->webhook_id, job->oauth_fp, time_now_ms(), &job->oauth_gen);
	if(token) {
		transfer_start(s, job, token);
		return;
	}
	for(fetch = s->fetches; fetch; fetch = fetch->next)
		if(!strcmp(fetch->webhook_id, job->webhook_id) && !strcmp(fetch->oauth_fp, job->oauth_fp)) {
			job->next = fetch->waiters;
			fetch->waiters = job;
			return;
		}
	fetch = oauth_request_build(job, s->opts.master_key, why, sizeof(why));
	if(!fetch) {
		log_info("webhook %s: no token request: %s", job->webhook_id, why);
		token_failed(s, job, why, &s->failed);
		return;
	}
	fetch->policy = s->opts.policy;
	fetch->start_mono = job->start_mono;
	fetch->deadline_mono = job->deadline_mono; /* inside the lease of the attempt that needs it */
	job->next = NULL;
	fetch->waiters = job;
	transfer_start(s, fetch, NULL);
}

void sender_start(struct sender *s, struct job *job)
{
	job->policy = s->opts.policy;
	job->at_ms = time_now_ms();
	job->start_mono = time_mono_ms();
	track(s, job, +1);
	if(job->oauth_json) {
		oauth_fingerprint(job->oauth_json, job->oauth_key, job->oauth_key_len, job->oauth_fp);
		oauth_start(s, job);
	} else {
		transfer_start(s, job, NULL);
	}
}

static const char *error_class(const struct job *job, CURLcode code)
{
	if(job->blocked)
		return "blocked_address";
	switch(code) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_COULDNT_CONNECT:
		return "connection_refused";
	case CURLE_COULDNT_RESOLVE_HOST:
		return "dns_error";
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

/* Why a token request failed, from its transfer and answer; false when it gave a token. */
static bool token_answer(const struct job *fetch, CURLcode code, struct buf *token, long long *expires_in, char *why,
                         size_t whylen)
{
	if(fetch->blocked || code == CURLE_FAILED_INIT)
		snprintf(why, whylen, "token request: %s", fetch->blocked ? "blocked_address" : "internal");
	else if(code == CURLE_WRITE_ERROR && fetch->body_capped)
		snprintf(why, whylen, "token answer larger than %d bytes", OAUTH_ANSWER_MAX);
	else if(code != CURLE_OK)
		snprintf(why, whylen, "token request: %s", fetch->error);
	else if(fetch->body_seen > fetch->body.len)
		snprintf(why, whylen, "token answer larger than %d bytes", OAUTH_ANSWER_MAX);
	else
		return oauth_token_parse(fetch->status_code, fetch->body.ptr ? fetch->body.ptr : "", fetch->body.len,
		                         token, expires_in, why, whylen) != WH_OK;
	return true;
}

/* A token request ended: its waiters are sent with the new token, or fail. Frees fetch. */
static void token_done(struct sender *s, struct job *fetch, CURLcode code, struct job **done)
{
	char why[OAUTH_REASON_MAX];
	struct buf token;
	long long expires_in = 0, now = time_now_ms();
	unsigned long gen = 0;
	buf_init(&token, OAUTH_TOKEN_MAX + 1);
	if(token_answer(fetch, code, &token, &expires_in, why, sizeof(why))) {
		log_info("webhook %s: token request failed: %s", fetch->webhook_id, why);
	} else {
		gen = oauth_cache_put(s->tokens, fetch->webhook_id, fetch->oauth_fp, buf_str(&token),
		                      oauth_valid_until(now, expires_in), now);
		log_debug("webhook %s: new access token, expires in %lld s", fetch->webhook_id, expires_in);
	}
	while(fetch->waiters) {
		struct job *job = fetch->waiters;
		fetch->waiters = job->next;
		job->next = NULL;
		if(gen) {
			job->oauth_gen = gen;
			transfer_start(s, job, buf_str(&token));
		} else {
			token_failed(s, job, why, done);
		}
	}
	crypto_buf_wipe(&token);
	job_free(fetch);
}

/* The endpoint refused the token: drop it and try once more with a fresh one. */
static void refresh(struct sender *s, struct job *job)
{
	log_debug("delivery %s: the endpoint answered 401; fetching a new token", job->id);
	oauth_cache_drop(s->tokens, job->webhook_id, job->oauth_gen);
	job->oauth_refreshed = true;
	job->status_code = 0;
	job->error = NULL;
	job->blocked = job->body_capped = false;
	job->body_seen = 0;
	job->retry_after_s = -1;
	buf_reset(&job->body);
	curl_slist_free_all(job->headers);
	job->headers = NULL;
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

void sender_run(struct sender *s, int timeout_ms, struct job **done)
{
	int running = 0, left = 0;
	CURLMsg *msg;
	while(s->failed) {
		struct job *job = s->failed;
		s->failed = job->next;
		job->next = *done;
		*done = job;
		timeout_ms = 0;
	}
	curl_multi_perform(s->multi, &running);
	if(timeout_ms > 0)
		curl_multi_poll(s->multi, NULL, 0, timeout_ms, NULL);
	curl_multi_perform(s->multi, &running);
	while((msg = curl_multi_info_read(s->multi, &left)))
		if(msg->msg == CURLMSG_DONE)
			finish(s, msg->easy_handle, msg->data.result, done);
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

void sender_saturated(const struct sender *s, size_t cap, struct buf *out)
{
	for(const struct endpoint *e = s->endpoints; e; e = e->next)
		if(e->n >= cap) {
			if(out->len)
				buf_adds(out, ",");
			buf_adds(out, e->webhook_id);
		}
}

void sender_abort_all(struct sender *s, struct job **aborted)
{
	while(s->inflight) {
		struct job *job = s->inflight;
		curl_multi_remove_handle(s->multi, job->easy);
		curl_easy_cleanup(job->easy);
		job->easy = NULL;
		list_unlink(&s->inflight, job);
		track(s, job, -1);
		job->next = *aborted;
		*aborted = job;
	}
	while(s->fetches) {
		struct job *fetch = s->fetches;
		curl_multi_remove_handle(s->multi, fetch->easy);
		list_unlink(&s->fetches, fetch);
		while(fetch->waiters) {
			struct job *job = fetch->waiters;
			fetch->waiters = job->next;
			track(s, job, -1);
			job->next = *aborted;
			*aborted = job;
		}
		job_free(fetch);
	}
	while(s->failed) {
		struct job *job = s->failed;
		s->failed = job->next;
		job->next = *aborted;
		*aborted = job;
	}
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
	curl_multi_cleanup(s->multi);
	oauth_cache_free(s->tokens);
	free(s);
}

void sender_wakeup(struct sender *s)
{
	curl_multi_wakeup(s->multi);
}
