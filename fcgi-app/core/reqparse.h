/* Request parsing without FastCGI: the request URI's path and query string, and
 * Content-Length, as pure functions (unit-tested in tests/unit/test_reqparse.c and fuzzed
 * in tests/fuzz/). http.c feeds them the FastCGI params. */
#ifndef WH_REQPARSE_H
#define WH_REQPARSE_H
#include <stdbool.h>
#include <stddef.h>

#include "common/json_util.h"

#define REQPARSE_MAX_QUERY 16

struct query_pair {
	char *name, *value; /* percent-decoded, new */
};

/* Percent-decodes s[0..n) into a new string; '+' is a space when plus_space. NULL when an
 * escape is malformed or decodes to NUL. */
char *reqparse_decode(const char *s, size_t n, bool plus_space);

/* Splits a request URI at its '?': *path is the decoded path (new), *query the raw query
 * string after the '?' (borrowed from uri) or NULL. WH_ERR_INVALID ("malformed path") with
 * *path set to a new "/" when the path does not decode. */
enum wh_err reqparse_uri(const char *uri, char **path, const char **query, struct jx_err *err);

/* Parses "a=1&b=2" into pairs[0..*n) (at most REQPARSE_MAX_QUERY; empty parts skipped; a
 * name without '=' has the value ""). WH_ERR_INVALID for too many parameters, a malformed
 * escape or a name given twice; the pairs parsed so far stay in pairs[0..*n) either way,
 * for reqparse_query_release. */
enum wh_err reqparse_query(const char *q, struct query_pair *pairs, size_t *n, struct jx_err *err);
void reqparse_query_release(struct query_pair *pairs, size_t n);

/* Content-Length: digits only (no sign, space or overflow past 2^40). WH_ERR_LENGTH_REQUIRED
 * when absent or empty, WH_ERR_INVALID when malformed. */
enum wh_err reqparse_content_length(const char *cl, long long *out, struct jx_err *err);

#endif
