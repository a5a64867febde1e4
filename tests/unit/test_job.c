/* A job's header lines: one allocation per part, linked to a tail the job does not own, and
 * the bearer replaced without touching the rest. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "delivery-worker/job.h"
#include "tests/unit/test.h"

static const char own_text[] = "webhook-id: abc\0webhook-timestamp: 1\0X-Custom: v";

TEST_SUITE(job_lines_one_allocation_linked_to_a_shared_tail)
{
	char tail_text[] = "Expect:";
	struct curl_slist tail = {tail_text, NULL};
	struct curl_slist *l = job_lines_new(own_text, sizeof(own_text), 3, &tail);
	CHECK(!strcmp(l[0].data, "webhook-id: abc") && l[0].next == &l[1]);
	CHECK(!strcmp(l[1].data, "webhook-timestamp: 1") && l[1].next == &l[2]);
	CHECK(!strcmp(l[2].data, "X-Custom: v") && l[2].next == &tail);
	/* the text is a copy inside the same allocation, after the nodes */
	CHECK(l[0].data == (char *)(l + 3) && l[2].data + strlen(l[2].data) + 1 == l[0].data + sizeof(own_text));
	free(l);
	l = job_lines_new("Only: one", sizeof("Only: one"), 1, NULL);
	CHECK(!strcmp(l->data, "Only: one") && l->next == NULL);
	free(l);
}

TEST_SUITE(job_bearer_replaced_the_rest_kept)
{
	char tail_text[] = "Expect:";
	struct curl_slist tail = {tail_text, NULL};
	struct job *job = job_new();
	struct curl_slist *own, *bearer;
	job->own_lines = own = job_lines_new(own_text, sizeof(own_text), 3, &tail);
	job->bearer_line = bearer = job_lines_new("Authorization: Bearer t1", 25, 1, own);
	job->headers = bearer;
	CHECK(bearer->next == own);
	job_bearer_release(job);
	CHECK(job->bearer_line == NULL && job->headers == own && job->own_lines == own);
	CHECK(!strcmp(own[2].data, "X-Custom: v") && own[2].next == &tail); /* untouched */
	job->bearer_line = job_lines_new("Authorization: Bearer t2", 25, 1, own);
	job->headers = job->bearer_line;
	job_headers_release(job);
	CHECK(job->headers == NULL && job->own_lines == NULL && job->bearer_line == NULL);
	CHECK(!strcmp(tail.data, "Expect:") && tail.next == NULL); /* the tail is not the job's */
	job_free(job);
	job_free(NULL);
}
