/* A webhook's custom headers (SPEC §14) on its deliveries: opened at claim time, added to
 * every attempt's request beside the headers the delivery sets itself. */
#ifndef WH_EXTRA_HEADERS_H
#define WH_EXTRA_HEADERS_H
#include <stddef.h>

#include "common/crypto.h"
#include "delivery-worker/job.h"

/* Opens the sealed set (aad "webhook:<id>:headers") into job->extra_headers; sealed NULL
 * means none. WH_ERR_CRYPTO when it does not open or is not a JSON object. */
enum wh_err extra_headers_open(struct job *job, const unsigned char key[CRYPTO_KEY_LEN], const char *sealed,
                               size_t len);

/* Appends "Name: value" and its NUL to text for each header of job->extra_headers, counting
 * them in *n. A name common/custom_headers.h reserves (Authorization too when the webhook uses
 * OAuth) or a value it refuses is skipped with a warning naming the header, never its value.
 * WH_ERR_TOO_LARGE when text's maximum is reached (text is then released, see buf_add). */
enum wh_err extra_headers_lines(const struct job *job, struct buf *text, size_t *n);

#endif
