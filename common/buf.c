/* Growable, bounded, NUL-terminated byte buffer. */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/xalloc.h"

void buf_init(struct buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : BUF_MAX_DEFAULT;
}

void buf_release(struct buf *b)
{
	if(!b)
		return;
	free(b->ptr);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if(b->ptr)
		b->ptr[0] = '\0';
}

static enum wh_err buf_grow(struct buf *b, size_t extra)
{
	size_t need;
	if(extra > b->max - b->len) {
		buf_release(b);
		return WH_ERR_TOO_LARGE;
	}
	need = b->len + extra + 1;
	if(need > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *grown;
		while(cap < need)
			cap *= 2;
		/* Not realloc: the old block may hold a secret (a sealed value opened, a key in
		 * PEM), so it is wiped before it goes back to the allocator. */
		grown = xmalloc(cap);
		if(b->ptr) {
			memcpy(grown, b->ptr, b->len + 1);
			OPENSSL_cleanse(b->ptr, b->cap);
			free(b->ptr);
		}
		b->ptr = grown;
		b->cap = cap;
	}
	return WH_OK;
}

enum wh_err buf_add(struct buf *b, const void *data, size_t n)
{
	enum wh_err result = buf_grow(b, n);
	if(result)
		return result;
	if(n)
		memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return WH_OK;
}

enum wh_err buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

enum wh_err buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	enum wh_err result;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if(n < 0)
		return WH_ERR_INTERNAL;
	result = buf_grow(b, (size_t)n);
	if(result)
		return result;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return WH_OK;
}

enum wh_err buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum wh_err result;
	va_start(ap, fmt);
	result = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return result;
}

const char *buf_str(const struct buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *buf_detach(struct buf *b)
{
	char *p = b->ptr ? b->ptr : xstrdup("");
	buf_init(b, b->max);
	return p;
}
