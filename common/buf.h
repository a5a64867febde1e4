/* A growable byte buffer, always NUL-terminated, with a maximum size (modelled on curl's dynbuf). */
#ifndef WH_BUF_H
#define WH_BUF_H
#include <stdarg.h>
#include <stddef.h>

#include "common/err.h"

struct buf {
	char *ptr;  /* NUL-terminated contents, NULL until the first append */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* largest len allowed */
};

#define BUF_MAX_DEFAULT ((size_t)64 * 1024 * 1024)

void buf_init(struct buf *b, size_t max);
/* Frees the contents and re-initialises with the same max. NULL-safe. */
void buf_release(struct buf *b);
/* Keeps the allocation, empties the contents. */
void buf_reset(struct buf *b);
/* Appends n bytes. Returns WH_ERR_TOO_LARGE (and releases the buffer) when max would be
 * exceeded, as curl's dynbuf does, so a caller can't go on with a truncated value. */
enum wh_err buf_add(struct buf *b, const void *data, size_t n);
enum wh_err buf_adds(struct buf *b, const char *s);
enum wh_err buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum wh_err buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Returns the contents ("" when empty); borrowed, valid until the next change. */
const char *buf_str(const struct buf *b);
/* Hands the contents to the caller (new, free() it) and resets the buffer. */
char *buf_detach(struct buf *b);

#endif
