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
	size_t ninflight;
	struct job *failed; /* could not be started; handed back by sender_run */
	struct endpoint *endpoints;
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

static void inflight_unlink(struct sender *s, struct job *job)
{
	if(job->prev)
		job->prev->next = job->next;
	else
		s->inflight = job->next;
	if(job->next)
		job->next->prev = job->prev;
	job->next = job->prev = NULL;
	s->ninflight--;
	endpoint_add(s, job->webhook_id, -1);
}

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
	struct job *job = ud;
	size_t len = size * n, keep = 0;
	if(job->body_seen + len > JOB_BODY_READ_MAX) {
		job->body_capped = true;
		return 0; /* stop reading: the status is known, the rest is not wanted */
	}
	if(job->body.len < JOB_BODY_KEEP)
		keep = len < JOB_BODY_KEEP - job->body.len ? len : JOB_BODY_KEEP - job->body.len;
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
	if(!urlpolicy_allows(policy, &addr->addr, addr->addrlen)) {
		job->blocked = true;
		log_info("delivery %s: refused a %s address (URL policy)", job->id,
		         urlpolicy_class_name(urlpolicy_classify(&addr->addr, addr->addrlen)));
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

static enum wh_err build_headers(struct job *job)
{
	char line[2048];
	struct curl_slist *h = NULL, *t;
	const char *lines[7];
	char ts[64], id[64], ww[128];
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
	for(size_t i = 0; i < 7; i++) {
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

static CURL *easy_for(const struct sender *s, struct job *job)
{
	CURL *e = curl_easy_init();
	if(!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, job->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, s->opts.allow_http ? "http,https" : "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, job->payload);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)job->payload_len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)job->headers);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s->opts.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, s->opts.request_timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, job);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, job);
	curl_easy_setopt(e, CURLOPT_PRIVATE, job);
	return e;
}

void sender_start(struct sender *s, struct job *job)
{
	job->policy = s->opts.policy;
	job->at_ms = time_now_ms();
	job->start_mono = time_mono_ms();
	if(build_headers(job) || !(job->easy = easy_for(s, job)) || curl_multi_add_handle(s->multi, job->easy)) {
		job->error = "internal";
		job->next = s->failed;
		s->failed = job;
		return;
	}
	job->prev = NULL;
	job->next = s->inflight;
	if(s->inflight)
		s->inflight->prev = job;
	s->inflight = job;
	s->ninflight++;
	endpoint_add(s, job->webhook_id, +1);
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

static void finish(struct sender *s, CURL *easy, CURLcode code, struct job **done)
{
	struct job *job = NULL;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&job);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(s->multi, easy);
	inflight_unlink(s, job);
	job->duration_ms = time_mono_ms() - job->start_mono;
	job->status_code = status;
	if(code == CURLE_OK || (code == CURLE_WRITE_ERROR && job->body_capped && status))
		job->error = retry_is_success(status, false) ? NULL : "http_status";
	else
		job->error = error_class(job, code);
	curl_easy_cleanup(easy);
	job->easy = NULL;
	job->next = *done;
	*done = job;
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
		inflight_unlink(s, job);
		job->next = *aborted;
		*aborted = job;
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
	free(s);
}
