/* Job allocation and release. */
#include "delivery-worker/job.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/xalloc.h"

struct job *job_new(void)
{
	struct job *job = xcalloc(1, sizeof(*job));
	buf_init(&job->sig_waitwhile, 128);
	buf_init(&job->sig_standard, 1024);
	buf_init(&job->body, JOB_BODY_KEEP);
	buf_init(&job->extra_headers, 0);
	job->retry_after_s = -1;
	job->body_keep = JOB_BODY_KEEP;
	return job;
}

void *job_lines_new(const char *text, size_t len, size_t n, void *tail)
{
	struct curl_slist *nodes = xmalloc(n * sizeof(*nodes) + len);
	char *copy = (char *)(nodes + n);
	memcpy(copy, text, len);
	for(size_t i = 0; i < n; i++) {
		nodes[i].data = copy;
		nodes[i].next = i + 1 < n ? &nodes[i + 1] : tail;
		copy += strlen(copy) + 1;
	}
	return nodes;
}

/* Wipes the text of a block of contiguous list nodes (the last one links elsewhere). */
static void block_wipe(struct curl_slist *l)
{
	for(; l; l = l->next) {
		OPENSSL_cleanse(l->data, strlen(l->data));
		if(l->next != l + 1)
			break;
	}
}

void job_bearer_release(struct job *job)
{
	block_wipe(job->bearer_line);
	free(job->bearer_line);
	job->bearer_line = NULL;
	job->headers = job->own_lines;
}

void job_headers_release(struct job *job)
{
	job_bearer_release(job);
	block_wipe(job->own_lines);
	free(job->own_lines);
	job->headers = job->own_lines = NULL;
}

void job_free(struct job *job)
{
	if(!job)
		return;
	if(job->easy)
		curl_easy_cleanup(job->easy);
	job_headers_release(job);
	curl_slist_free_all(job->connect_to);
	if(job->token_fetch) { /* the assertion and the token answer are credentials */
		if(job->payload)
			OPENSSL_cleanse(job->payload, job->payload_len);
		crypto_buf_wipe(&job->body);
	}
	free(job->url);
	free(job->payload);
	free(job->oauth_json);
	free(job->oauth_key);
	buf_release(&job->sig_waitwhile);
	buf_release(&job->sig_standard);
	buf_release(&job->body);
	crypto_buf_wipe(&job->extra_headers);
	free(job);
}

void job_free_list(struct job *jobs)
{
	while(jobs) {
		struct job *next = jobs->next;
		job_free(jobs);
		jobs = next;
	}
}
