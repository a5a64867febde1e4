/* bench-sink: the benchmarks' webhook endpoint. An epoll HTTP/1.1 server on 127.0.0.1
 * (keep-alive, pipelining, Expect: 100-continue) that answers by path:
 *   /hang...           never answers (the connection stays open until the client gives up)
 *   /slow/<ms>/...     204 after <ms> milliseconds
 *   GET /__stats       200 {"requests","hanging","delayed","open"}; flushes the record file
 *   anything else      204 at once
 * Every request except /__stats is recorded as "<webhook-id or ->\t<path>\t<arrival us>\n"
 * (arrival = the request's last byte, CLOCK_REALTIME) in the --record file.
 *   bench-sink --port-file FILE [--record FILE] [--threads N]
 * The port (ephemeral) is written to --port-file once the server listens. SIGTERM and
 * SIGINT flush the record file and exit 0. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SINK_BUF 8192
#define SINK_MAX_THREADS 16
#define SINK_ID_MAX 64
#define SINK_PATH_MAX 256

enum sink_mode { SINK_NORMAL, SINK_HANG, SINK_DELAYED };

struct sink_conn {
	int fd;
	uint64_t serial;
	size_t len;          /* bytes in buf */
	size_t body_left;    /* body bytes still to discard */
	enum sink_mode mode; /* of the request being read or answered */
	int headers_done;    /* the current request's headers are parsed */
	int is_stats;
	long delay_ms;
	char id[SINK_ID_MAX];
	char path[SINK_PATH_MAX];
	char buf[SINK_BUF];
};

struct sink_timer {
	int64_t due_us;
	int fd;
	uint64_t serial;
};

struct sink_thread {
	int epfd;
	int listen_fd;
	struct sink_timer *heap;
	size_t heap_len, heap_cap;
	pthread_t tid;
};

static struct sink_conn **conns; /* indexed by fd */
static size_t conns_cap;
static atomic_ullong serials;
static atomic_llong stat_requests, stat_hanging, stat_delayed, stat_open;
static FILE *record;
static pthread_mutex_t record_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stopping;
static int port_bound;

static int64_t now_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if(!p) {
		fprintf(stderr, "bench-sink: out of memory\n");
		abort();
	}
	return p;
}

/* ---- timers: a binary min-heap per thread ---- */

static void heap_swap(struct sink_timer *a, struct sink_timer *b)
{
	struct sink_timer t = *a;

	*a = *b;
	*b = t;
}

static void heap_push(struct sink_thread *t, struct sink_timer tm)
{
	size_t i;

	if(t->heap_len == t->heap_cap) {
		t->heap_cap = t->heap_cap ? t->heap_cap * 2 : 1024;
		t->heap = realloc(t->heap, t->heap_cap * sizeof(*t->heap));
		if(!t->heap)
			abort();
	}
	i = t->heap_len++;
	t->heap[i] = tm;
	while(i > 0 && t->heap[(i - 1) / 2].due_us > t->heap[i].due_us) {
		heap_swap(&t->heap[(i - 1) / 2], &t->heap[i]);
		i = (i - 1) / 2;
	}
}

static struct sink_timer heap_pop(struct sink_thread *t)
{
	struct sink_timer top = t->heap[0];
	size_t i = 0;

	t->heap[0] = t->heap[--t->heap_len];
	for(;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if(l < t->heap_len && t->heap[l].due_us < t->heap[m].due_us)
			m = l;
		if(r < t->heap_len && t->heap[r].due_us < t->heap[m].due_us)
			m = r;
		if(m == i)
			break;
		heap_swap(&t->heap[m], &t->heap[i]);
		i = m;
	}
	return top;
}

/* ---- connections ---- */

static void conn_close(struct sink_conn *c)
{
	if(c->mode == SINK_HANG && c->headers_done)
		atomic_fetch_sub(&stat_hanging, 1);
	if(c->mode == SINK_DELAYED && c->headers_done)
		atomic_fetch_sub(&stat_delayed, 1);
	atomic_fetch_sub(&stat_open, 1);
	conns[c->fd] = NULL;
	close(c->fd);
	free(c);
}

/* Writes all of s; the answers are tiny, so a full socket buffer means a dead client. */
static int conn_write(struct sink_conn *c, const char *s, size_t n)
{
	while(n > 0) {
		ssize_t w = write(c->fd, s, n);
		if(w < 0 && errno == EINTR)
			continue;
		if(w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int conn_answer_stats(struct sink_conn *c)
{
	char body[256], head[128];
	int bn, hn;

	pthread_mutex_lock(&record_lock);
	if(record)
		fflush(record);
	pthread_mutex_unlock(&record_lock);
	bn = snprintf(body, sizeof(body), "{\"requests\":%lld,\"hanging\":%lld,\"delayed\":%lld,\"open\":%lld}",
	              (long long)atomic_load(&stat_requests), (long long)atomic_load(&stat_hanging),
	              (long long)atomic_load(&stat_delayed), (long long)atomic_load(&stat_open));
	hn = snprintf(head, sizeof(head),
	              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", bn);
	if(conn_write(c, head, (size_t)hn) || conn_write(c, body, (size_t)bn))
		return -1;
	return 0;
}

static void record_request(const struct sink_conn *c)
{
	int64_t at = now_us(CLOCK_REALTIME);

	atomic_fetch_add(&stat_requests, 1);
	if(!record)
		return;
	pthread_mutex_lock(&record_lock);
	fprintf(record, "%s\t%s\t%lld\n", c->id[0] ? c->id : "-", c->path, (long long)at);
	pthread_mutex_unlock(&record_lock);
}

static void copy_token(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i;

	if(n >= cap)
		n = cap - 1;
	for(i = 0; i < n; i++)
		dst[i] = (s[i] == '\t' || s[i] == '\n') ? '_' : s[i];
	dst[n] = '\0';
}

static void parse_path(struct sink_conn *c)
{
	c->mode = SINK_NORMAL;
	c->delay_ms = 0;
	if(!strncmp(c->path, "/hang", 5)) {
		c->mode = SINK_HANG;
	} else if(!strncmp(c->path, "/slow/", 6)) {
		char *end;
		long ms = strtol(c->path + 6, &end, 10);
		if(end != c->path + 6 && ms >= 0) {
			c->mode = SINK_DELAYED;
			c->delay_ms = ms;
		}
	}
}

/* Parses the request line and headers in buf[0..hlen). Returns -1 on a malformed request. */
static int parse_headers(struct sink_conn *c, size_t hlen, int *expect_continue)
{
	const char *p = c->buf, *end = c->buf + hlen, *sp1, *sp2, *eol;

	eol = memchr(p, '\n', (size_t)(end - p));
	sp1 = memchr(p, ' ', (size_t)(end - p));
	if(!eol || !sp1 || sp1 > eol)
		return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if(!sp2)
		return -1;
	copy_token(c->path, sizeof(c->path), sp1 + 1, (size_t)(sp2 - sp1 - 1));
	c->is_stats = !strncmp(p, "GET ", 4) && !strcmp(c->path, "/__stats");
	c->id[0] = '\0';
	c->body_left = 0;
	*expect_continue = 0;
	for(p = eol + 1; p < end; p = eol + 1) {
		size_t n;
		eol = memchr(p, '\n', (size_t)(end - p));
		if(!eol)
			break;
		n = (size_t)(eol - p);
		if(n > 0 && p[n - 1] == '\r')
			n--;
		if(n > 15 && !strncasecmp(p, "content-length:", 15)) {
			c->body_left = (size_t)strtoull(p + 15, NULL, 10);
		} else if(n > 11 && !strncasecmp(p, "webhook-id:", 11)) {
			const char *v = p + 11;
			while(v < p + n && *v == ' ')
				v++;
			copy_token(c->id, sizeof(c->id), v, (size_t)(p + n - v));
		} else if(n > 7 && !strncasecmp(p, "expect:", 7)) {
			*expect_continue = 1;
		}
	}
	parse_path(c);
	return 0;
}

static int conn_respond(struct sink_conn *c)
{
	static const char no_content[] = "HTTP/1.1 204 No Content\r\n\r\n";

	return conn_write(c, no_content, sizeof(no_content) - 1);
}

/* The current request is complete: answer it now, later, or never. */
static int conn_dispatch(struct sink_thread *t, struct sink_conn *c)
{
	if(c->is_stats) {
		c->headers_done = 0;
		return conn_answer_stats(c);
	}
	record_request(c);
	if(c->mode == SINK_HANG) {
		atomic_fetch_add(&stat_hanging, 1);
		return 0; /* headers_done stays set: nothing more is read from this client */
	}
	if(c->mode == SINK_DELAYED) {
		struct sink_timer tm = {now_us(CLOCK_MONOTONIC) + c->delay_ms * 1000, c->fd, c->serial};
		atomic_fetch_add(&stat_delayed, 1);
		heap_push(t, tm);
		return 0;
	}
	c->headers_done = 0;
	return conn_respond(c);
}

/* Consumes buffered input: headers, then body bytes; dispatches complete requests. */
static int conn_process(struct sink_thread *t, struct sink_conn *c)
{
	for(;;) {
		if(c->headers_done && c->mode != SINK_NORMAL && c->body_left == 0)
			return 0; /* waiting for a delayed answer, or hanging */
		if(!c->headers_done) {
			char *hend = memmem(c->buf, c->len, "\r\n\r\n", 4);
			int expect = 0;
			size_t hlen;
			if(!hend)
				return c->len == sizeof(c->buf) ? -1 : 0;
			hlen = (size_t)(hend - c->buf) + 4;
			if(parse_headers(c, hlen, &expect))
				return -1;
			memmove(c->buf, c->buf + hlen, c->len - hlen);
			c->len -= hlen;
			c->headers_done = 1;
			if(expect && c->body_left > 0 && conn_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25))
				return -1;
		}
		if(c->body_left > 0) {
			size_t n = c->len < c->body_left ? c->len : c->body_left;
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			c->body_left -= n;
			if(c->body_left > 0)
				return 0;
		}
		if(conn_dispatch(t, c))
			return -1;
		if(c->headers_done)
			return 0;
	}
}

static void conn_readable(struct sink_thread *t, struct sink_conn *c)
{
	for(;;) {
		ssize_t n;
		if(c->len == sizeof(c->buf)) {
			if(c->headers_done && c->mode != SINK_NORMAL && c->body_left == 0)
				c->len = 0; /* a hanging client's further bytes are dropped */
			else if(conn_process(t, c))
				goto fail;
			if(c->len == sizeof(c->buf))
				goto fail;
		}
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if(n < 0 && errno == EINTR)
			continue;
		if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if(n <= 0)
			goto fail;
		c->len += (size_t)n;
		if(conn_process(t, c))
			goto fail;
	}
	return;
fail:
	conn_close(c);
}

static void accept_all(struct sink_thread *t)
{
	for(;;) {
		struct epoll_event ev;
		struct sink_conn *c;
		int one = 1;
		int fd = accept4(t->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if(fd < 0)
			return;
		if((size_t)fd >= conns_cap) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->serial = atomic_fetch_add(&serials, 1);
		conns[fd] = c;
		atomic_fetch_add(&stat_open, 1);
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.fd = fd;
		if(epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev))
			conn_close(c);
	}
}

/* Answers the delayed requests that are due; returns the ms until the next one (-1: none). */
static int timers_run(struct sink_thread *t)
{
	while(t->heap_len > 0) {
		int64_t now = now_us(CLOCK_MONOTONIC);
		struct sink_conn *c;
		struct sink_timer tm;
		if(t->heap[0].due_us > now)
			return (int)((t->heap[0].due_us - now + 999) / 1000);
		tm = heap_pop(t);
		c = conns[tm.fd];
		if(!c || c->serial != tm.serial)
			continue;
		atomic_fetch_sub(&stat_delayed, 1);
		c->mode = SINK_NORMAL;
		c->headers_done = 0;
		if(conn_respond(c) || conn_process(t, c))
			conn_close(c);
	}
	return -1;
}

static void *sink_loop(void *arg)
{
	struct sink_thread *t = arg;
	struct epoll_event evs[256];

	while(!stopping) {
		int timeout = timers_run(t), n, i;
		if(timeout < 0 || timeout > 200)
			timeout = 200;
		n = epoll_wait(t->epfd, evs, 256, timeout);
		for(i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if(fd == t->listen_fd)
				accept_all(t);
			else if(conns[fd])
				conn_readable(t, conns[fd]);
		}
	}
	return NULL;
}

static int listen_on(int port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if(fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if(bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096) ||
	   getsockname(fd, (struct sockaddr *)&a, &alen)) {
		close(fd);
		return -1;
	}
	port_bound = ntohs(a.sin_port);
	return fd;
}

static int thread_setup(struct sink_thread *t, int port)
{
	struct epoll_event ev;

	t->listen_fd = listen_on(port);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if(t->listen_fd < 0 || t->epfd < 0)
		return -1;
	ev.events = EPOLLIN;
	ev.data.fd = t->listen_fd;
	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->listen_fd, &ev);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int write_port(const char *path)
{
	char tmp[4096];
	FILE *f;

	if(snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if(!f)
		return -1;
	fprintf(f, "%d\n", port_bound);
	if(fclose(f))
		return -1;
	return rename(tmp, path);
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if(getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	conns_cap = rl.rlim_cur > 1048576 ? 1048576 : (size_t)rl.rlim_cur;
	conns = xcalloc(conns_cap, sizeof(*conns));
}

int main(int argc, char **argv)
{
	static struct sink_thread threads[SINK_MAX_THREADS];
	const char *port_file = NULL, *record_path = NULL;
	long nthreads = 1;
	struct sigaction sa;
	int i;

	for(i = 1; i + 1 < argc; i += 2) {
		if(!strcmp(argv[i], "--port-file"))
			port_file = argv[i + 1];
		else if(!strcmp(argv[i], "--record"))
			record_path = argv[i + 1];
		else if(!strcmp(argv[i], "--threads"))
			nthreads = strtol(argv[i + 1], NULL, 10);
		else
			break;
	}
	if(i != argc || !port_file || nthreads < 1 || nthreads > SINK_MAX_THREADS) {
		fprintf(stderr, "usage: bench-sink --port-file FILE [--record FILE] [--threads 1..16]\n");
		return 2;
	}
	raise_fd_limit();
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if(record_path) {
		record = fopen(record_path, "w");
		if(!record) {
			perror(record_path);
			return 1;
		}
		setvbuf(record, NULL, _IOFBF, 1 << 20);
	}
	for(i = 0; i < nthreads; i++) {
		if(thread_setup(&threads[i], i == 0 ? 0 : port_bound)) {
			perror("bench-sink: listen");
			return 1;
		}
	}
	if(write_port(port_file)) {
		perror(port_file);
		return 1;
	}
	for(i = 1; i < nthreads; i++)
		pthread_create(&threads[i].tid, NULL, sink_loop, &threads[i]);
	sink_loop(&threads[0]);
	for(i = 1; i < nthreads; i++)
		pthread_join(threads[i].tid, NULL);
	if(record)
		fclose(record);
	return 0;
}
