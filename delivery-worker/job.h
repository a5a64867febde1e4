/* One claimed delivery attempt: what was loaded under the lease, the transfer's state
 * and its outcome. Jobs move claim -> sender -> record and are freed with job_free. */
#ifndef WH_JOB_H
#define WH_JOB_H
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/ids.h"
#include "common/urlpolicy.h"
#include "common/version.h"

/* Response bytes kept with the attempt, and where reading stops. */
#define JOB_BODY_KEEP 4096
#define JOB_BODY_READ_MAX (64 * 1024)

/* Why a delivery could not even be attempted (no HTTP request, no attempt row). */
enum job_skip {
	JOB_SEND = 0,
	JOB_SKIP_WEBHOOK_DELETED,
	JOB_SKIP_WEBHOOK_INACTIVE,
	JOB_SKIP_WEBHOOK_DISABLED,
	JOB_SKIP_EVENT_EXPIRED,
	JOB_SKIP_SECRET_UNREADABLE,
};

struct job {
	char id[ID_LEN + 1];
	char webhook_id[ID_LEN + 1];
	char event_id[ID_LEN + 1];
	char lease[ID_LEN + 1];
	int sched_attempts; /* scheduled attempts made before this one */
	bool manual;        /* asked for by resend/recover */
	enum job_skip skip;
	long long deadline_mono; /* time_mono_ms by which the attempt ends: inside its lease */
	long long rate_limit;    /* the webhook's rateLimit per second, 0 for none (pace.h) */

	char *url;         /* owned */
	bool inbox_target; /* url is a request inbox of this service (public_base_url): the URL
	                      policy lets exactly that origin through, http:// included */
	char *payload;     /* owned, the exact event bytes */
	size_t payload_len;
	long long timestamp_s; /* webhook-timestamp of this attempt */
	/* Released once the delivery's own header lines hold them: */
	struct buf sig_waitwhile, sig_standard;
	struct buf extra_headers; /* the custom headers, opened (a JSON object); empty: none */
	/* The request's headers (sender.c): one curl list in three parts, the bearer line (one
	 * allocation, a node and its text), the delivery's own lines with its custom headers (one
	 * allocation: the nodes, contiguous, then their text), and the lines every delivery sends,
	 * which the sender owns. Built once per attempt; a token refresh replaces the bearer. */
	void *headers;     /* borrowed struct curl_slist *: the list's head, handed to curl */
	void *bearer_line; /* owned struct curl_slist *, or NULL */
	void *own_lines;   /* owned struct curl_slist *, or NULL */

	/* OAuth (oauth_json NULL: the webhook has none), see oauth.h */
	char *oauth_json; /* owned: {tokenUrl, expiresIn, claims} */
	char *oauth_key;  /* owned: the private key, sealed */
	size_t oauth_key_len;
	char oauth_fp[65];       /* oauth_fingerprint of the two */
	unsigned long oauth_gen; /* cache generation of the token sent */
	bool oauth_refreshed;    /* the one refresh after a 401 is used */
	bool token_fetch;        /* a token request, not a delivery */
	struct job *waiters;     /* token_fetch: deliveries waiting for its token (next-linked) */
	size_t body_keep;        /* answer bytes kept, JOB_BODY_KEEP unless a token request */

	/* transfer */
	void *easy;                     /* CURL *, owned while in flight */
	const struct urlpolicy *policy; /* borrowed from the sender */
	bool via_proxy;                 /* sent through egress_proxy: every socket is the proxy's */
	void *connect_to;               /* owned struct curl_slist *: the checked address (egress.h) */
	struct buf body;                /* first JOB_BODY_KEEP bytes of the answer */
	size_t body_seen;               /* bytes read so far */
	bool blocked;                   /* the URL policy refused an address */
	unsigned requests;              /* requests this transfer was about to send (on_prereq) */
	bool resend_refused;            /* curl wanted to send the request again: refused */
	bool body_capped;               /* reading stopped at JOB_BODY_READ_MAX */
	long long retry_after_s;        /* parsed Retry-After, -1 when absent */
	long long at_ms, start_mono;

	/* outcome */
	long status_code;  /* 0 when no HTTP answer */
	const char *error; /* static error class, NULL on success */
	long long duration_ms;
	bool lease_lost;      /* set by record_batch: another worker owns the delivery now */
	bool recorded_before; /* lease_lost because an earlier try of the same record committed */
	bool not_started;     /* handed back unsent (stop, or too little lease left): release it */
	bool unloaded;        /* only id, lease and manual: a row that may be leased but was not loaded
	                       * (claim_unloaded); its lease is given back, nothing is sent */

	struct job *next, *prev; /* prev: only in the sender's in-flight list */
};

/* A new zeroed job (retry_after_s = -1). */
struct job *job_new(void);
/* A curl list in one allocation: n nodes, contiguous, then a copy of text, which holds the n
 * lines back to back, each with its NUL (len bytes in all). The last node links to tail
 * (a struct curl_slist *, or NULL). New: free() it. */
void *job_lines_new(const char *text, size_t len, size_t n, void *tail);
/* Frees the bearer line (wiped); headers is then the own lines. */
void job_bearer_release(struct job *job);
/* Frees the request's header lines (wiped: bearer tokens and custom header values are
 * secrets) and clears headers. */
void job_headers_release(struct job *job);
/* Frees a job and everything it owns (curl handles included). NULL-safe. */
void job_free(struct job *job);
/* job_free for every job of a next-linked list. NULL-safe. */
void job_free_list(struct job *jobs);

#endif
