/* Parsing the request URI and Content-Length (pure functions). */
#include "fcgi-app/core/reqparse.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static int hexval(char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if(c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *reqparse_decode(const char *s, size_t n, bool plus_space)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for(size_t i = 0; i < n; i++) {
		if(s[i] == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if(hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if(s[i] == '+' && plus_space) {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

enum wh_err reqparse_uri(const char *uri, char **path, const char **query, struct jx_err *err)
{
	const char *qmark = strchr(uri, '?');
	*query = qmark ? qmark + 1 : NULL;
	*path = reqparse_decode(uri, qmark ? (size_t)(qmark - uri) : strlen(uri), false);
	if(!*path) {
		*path = xstrdup("/");
		*query = NULL;
		return jx_fail(err, NULL, "malformed path");
	}
	return WH_OK;
}

/* Adds the pair q[0..len) (name[=value]) as pairs[*n]. */
static enum wh_err query_pair_add(const char *q, size_t len, struct query_pair *pairs, size_t *n, struct jx_err *err)
{
	const char *eq = memchr(q, '=', len);
	size_t nlen = eq ? (size_t)(eq - q) : len;
	struct query_pair p;
	if(*n == REQPARSE_MAX_QUERY)
		return jx_fail(err, NULL, "too many query parameters (at most %d)", REQPARSE_MAX_QUERY);
	p.name = reqparse_decode(q, nlen, true);
	p.value = eq ? reqparse_decode(eq + 1, len - nlen - 1, true) : xstrdup("");
	if(!p.name || !p.value) {
		free(p.name);
		free(p.value);
		return jx_fail(err, NULL, "malformed query string");
	}
	for(size_t i = 0; i < *n; i++)
		if(!strcmp(pairs[i].name, p.name)) {
			jx_fail(err, p.name, "%s: given more than once", p.name);
			free(p.name);
			free(p.value);
			return WH_ERR_INVALID;
		}
	pairs[(*n)++] = p;
	return WH_OK;
}

enum wh_err reqparse_query(const char *q, struct query_pair *pairs, size_t *n, struct jx_err *err)
{
	while(*q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if(len) {
			enum wh_err result = query_pair_add(q, len, pairs, n, err);
			if(result)
				return result;
		}
		q += len;
		if(*q == '&')
			q++;
	}
	return WH_OK;
}

void reqparse_query_release(struct query_pair *pairs, size_t n)
{
	for(size_t i = 0; i < n; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
}

enum wh_err reqparse_content_length(const char *cl, long long *out, struct jx_err *err)
{
	long long v = 0;
	*out = 0;
	if(!cl || !*cl)
		return WH_ERR_LENGTH_REQUIRED;
	for(const char *p = cl; *p; p++) {
		if(*p < '0' || *p > '9' || v > (1LL << 40))
			return jx_fail(err, NULL, "malformed Content-Length");
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return WH_OK;
}
