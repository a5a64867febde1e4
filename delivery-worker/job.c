/* Job allocation and release. */
#include "delivery-worker/job.h"

#include <curl/curl.h>
#include <stdlib.h>

#include "common/xalloc.h"

struct job *job_new(void)
{
	struct job *job = xcalloc(1, sizeof(*job));
	buf_init(&job->sig_waitwhile, 128);
	buf_init(&job->sig_standard, 1024);
	buf_init(&job->body, JOB_BODY_KEEP);
	job->retry_after_s = -1;
	return job;
}

void job_free(struct job *job)
{
	if(!job)
		return;
	if(job->easy)
		curl_easy_cleanup(job->easy);
	curl_slist_free_all(job->headers);
	free(job->url);
	free(job->payload);
	buf_release(&job->sig_waitwhile);
	buf_release(&job->sig_standard);
	buf_release(&job->body);
	free(job);
}
