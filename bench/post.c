/* bench-post: a bare libcurl multi client, the delivery benchmarks' physical limit, and the
 * fixed-rate load generator of the latency benchmarks.
 *   bench-post --url URL [--url URL ...] --count N [--concurrency C] [--rate R]
 *              [--size BYTES | --body-file FILE] [--header "K: V" ...] [--id-header]
 * POSTs N bodies, at most C in flight (connections reused), round-robin over the URLs and,
 * with --body-file, over its lines (one body per line). --rate R starts request i no earlier
 * than i/R seconds after the first (open loop while a handle is free). --id-header adds a
 * unique "webhook-id" header per request, as the worker does. --buffer-size sets
 * CURLOPT_BUFFERSIZE (libcurl's receive buffer per transfer, 16 KiB by default). Prints key=value lines:
 * sent, ok, failed, first_failure, seconds, rate, p50_ms, p95_ms, p99_ms, peak_rss_kb. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POST_MAX_URLS 4096

struct post_opts {
	const char *urls[POST_MAX_URLS];
	size_t nurls;
	long count, concurrency;
	double rate;
	long size;
	const char *body_file;
	struct curl_slist *headers;
	int id_header;
	long buffer_size;
};

struct post_slot {
	CURL *easy;
	struct curl_slist *headers; /* opts headers + this request's webhook-id */
	long index;
};

struct post_bodies {
	char **body;
	size_t *len;
	size_t n;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *msg)
{
	fprintf(stderr, "bench-post: %s\n", msg);
	exit(2);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if(!p)
		die("out of memory");
	return p;
}

static long parse_long(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if(end == s || *end)
		die("bad number");
	return v;
}

static void bodies_push(struct post_bodies *b, const char *s, size_t n)
{
	b->body = realloc(b->body, (b->n + 1) * sizeof(*b->body));
	b->len = realloc(b->len, (b->n + 1) * sizeof(*b->len));
	if(!b->body || !b->len)
		die("out of memory");
	b->body[b->n] = xmalloc(n + 1);
	memcpy(b->body[b->n], s, n);
	b->body[b->n][n] = '\0';
	b->len[b->n++] = n;
}

static void bodies_load(struct post_bodies *b, const struct post_opts *o)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if(!o->body_file) {
		char *s = xmalloc((size_t)o->size);
		long i;
		for(i = 0; i < o->size; i++)
			s[i] = (char)('a' + i % 26);
		if(o->size >= 2) {
			s[0] = '"';
			s[o->size - 1] = '"';
		}
		bodies_push(b, s, (size_t)o->size);
		free(s);
		return;
	}
	f = fopen(o->body_file, "r");
	if(!f)
		die("cannot open the body file");
	while((n = getline(&line, &cap, f)) > 0) {
		if(line[n - 1] == '\n')
			n--;
		if(n > 0)
			bodies_push(b, line, (size_t)n);
	}
	free(line);
	fclose(f);
	if(b->n == 0)
		die("the body file has no lines");
}

static void opts_parse(struct post_opts *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->concurrency = 16;
	o->size = 1024;
	for(i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if(!strcmp(a, "--id-header")) {
			o->id_header = 1;
			continue;
		}
		if(!v)
			die("usage: see the header of bench/post.c");
		i++;
		if(!strcmp(a, "--url") && o->nurls < POST_MAX_URLS)
			o->urls[o->nurls++] = v;
		else if(!strcmp(a, "--count"))
			o->count = parse_long(v);
		else if(!strcmp(a, "--concurrency"))
			o->concurrency = parse_long(v);
		else if(!strcmp(a, "--rate"))
			o->rate = (double)parse_long(v);
		else if(!strcmp(a, "--size"))
			o->size = parse_long(v);
		else if(!strcmp(a, "--buffer-size"))
			o->buffer_size = parse_long(v);
		else if(!strcmp(a, "--body-file"))
			o->body_file = v;
		else if(!strcmp(a, "--header"))
			o->headers = curl_slist_append(o->headers, v);
		else
			die("unknown option; see the header of bench/post.c");
	}
	if(!o->nurls || o->count < 1 || o->concurrency < 1 || o->size < 0)
		die("--url and --count are required; counts must be positive");
}

static struct curl_slist *slist_copy(const struct curl_slist *s)
{
	struct curl_slist *out = NULL;

	for(; s; s = s->next)
		out = curl_slist_append(out, s->data);
	return out;
}

static void slot_start(CURLM *multi, struct post_slot *slot, const struct post_opts *o, const struct post_bodies *b,
                       long index)
{
	char idh[64];

	slot->index = index;
	curl_slist_free_all(slot->headers);
	slot->headers = slist_copy(o->headers);
	slot->headers = curl_slist_append(slot->headers, "Expect:");
	if(o->id_header) {
		snprintf(idh, sizeof(idh), "webhook-id: bp%ld", index);
		slot->headers = curl_slist_append(slot->headers, idh);
	}
	curl_easy_setopt(slot->easy, CURLOPT_URL, o->urls[(size_t)index % o->nurls]);
	curl_easy_setopt(slot->easy, CURLOPT_POSTFIELDS, b->body[(size_t)index % b->n]);
	curl_easy_setopt(slot->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len[(size_t)index % b->n]);
	curl_easy_setopt(slot->easy, CURLOPT_HTTPHEADER, slot->headers);
	curl_easy_setopt(slot->easy, CURLOPT_PRIVATE, slot);
	curl_multi_add_handle(multi, slot->easy);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, long n, double p)
{
	long i;

	if(n == 0)
		return 0;
	i = (long)(p * (double)(n - 1) + 0.5);
	return sorted[i];
}

static long peak_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if(!f)
		return -1;
	while(fgets(line, sizeof(line), f))
		if(!strncmp(line, "VmHWM:", 6))
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

struct post_result {
	long ok, failed, first_failure;
	double *lat_ms;
	long nlat;
};

static void collect(CURLM *multi, struct post_result *r, struct post_slot **free_slots, long *nfree)
{
	CURLMsg *m;
	int left;

	while((m = curl_multi_info_read(multi, &left))) {
		struct post_slot *slot;
		long code = 0;
		curl_off_t us = 0;
		if(m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&slot);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(m->easy_handle, CURLINFO_TOTAL_TIME_T, &us);
		if(m->data.result == CURLE_OK && code >= 200 && code < 300) {
			r->ok++;
		} else {
			r->failed++;
			if(!r->first_failure)
				r->first_failure = m->data.result != CURLE_OK ? -(long)m->data.result : code;
		}
		r->lat_ms[r->nlat++] = (double)us / 1000.0;
		curl_multi_remove_handle(multi, m->easy_handle);
		free_slots[(*nfree)++] = slot;
	}
}

static void run(const struct post_opts *o, const struct post_bodies *b, struct post_result *r, double *secs)
{
	CURLM *multi = curl_multi_init();
	struct post_slot *slots = calloc((size_t)o->concurrency, sizeof(*slots));
	struct post_slot **free_slots = calloc((size_t)o->concurrency, sizeof(*free_slots));
	long nfree = 0, started = 0, i;
	double t0 = now_s();

	if(!multi || !slots || !free_slots)
		die("out of memory");
	for(i = 0; i < o->concurrency; i++) {
		slots[i].easy = curl_easy_init();
		curl_easy_setopt(slots[i].easy, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(slots[i].easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(slots[i].easy, CURLOPT_TIMEOUT_MS, 60000L);
		if(o->buffer_size)
			curl_easy_setopt(slots[i].easy, CURLOPT_BUFFERSIZE, o->buffer_size);
		free_slots[nfree++] = &slots[i];
	}
	while(r->ok + r->failed < o->count) {
		int running = 0;
		double wait_s = 0.1;
		while(nfree > 0 && started < o->count) {
			double due = o->rate > 0 ? t0 + (double)started / o->rate : t0;
			if(due > now_s()) {
				wait_s = due - now_s();
				break;
			}
			slot_start(multi, free_slots[--nfree], o, b, started++);
		}
		curl_multi_perform(multi, &running);
		collect(multi, r, free_slots, &nfree);
		/* a freed slot starts its next request at once unless the rate holds it back */
		if(nfree > 0 && started < o->count && wait_s >= 0.1)
			continue;
		if(r->ok + r->failed < o->count)
			curl_multi_poll(multi, NULL, 0, (int)(wait_s * 1000) + 1, NULL);
	}
	*secs = now_s() - t0;
	for(i = 0; i < o->concurrency; i++) {
		curl_easy_cleanup(slots[i].easy);
		curl_slist_free_all(slots[i].headers);
	}
	curl_multi_cleanup(multi);
	free(slots);
	free(free_slots);
}

int main(int argc, char **argv)
{
	struct post_opts o;
	struct post_bodies b = {0};
	struct post_result r = {0};
	double secs = 0;
	size_t i;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	opts_parse(&o, argc, argv);
	bodies_load(&b, &o);
	r.lat_ms = xmalloc((size_t)o.count * sizeof(*r.lat_ms));
	run(&o, &b, &r, &secs);
	qsort(r.lat_ms, (size_t)r.nlat, sizeof(*r.lat_ms), cmp_double);
	printf("sent=%ld\nok=%ld\nfailed=%ld\nfirst_failure=%ld\nseconds=%.3f\nrate=%.1f\n", o.count, r.ok, r.failed,
	       r.first_failure, secs, secs > 0 ? (double)o.count / secs : 0.0);
	printf("p50_ms=%.3f\np95_ms=%.3f\np99_ms=%.3f\npeak_rss_kb=%ld\n", pct(r.lat_ms, r.nlat, 0.50),
	       pct(r.lat_ms, r.nlat, 0.95), pct(r.lat_ms, r.nlat, 0.99), peak_rss_kb());
	for(i = 0; i < b.n; i++)
		free(b.body[i]);
	free(b.body);
	free(b.len);
	free(r.lat_ms);
	curl_slist_free_all(o.headers);
	curl_global_cleanup();
	return r.failed ? 1 : 0;
}
