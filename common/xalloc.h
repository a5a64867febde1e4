/* Allocation wrappers that abort on out-of-memory, so callers need no NULL checks. */
#ifndef WH_XALLOC_H
#define WH_XALLOC_H
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
/* Copies at most n bytes of s and NUL-terminates. */
char *xstrndup(const char *s, size_t n);
/* Zeroes len bytes in a way the compiler keeps (for secrets), then frees. NULL-safe. */
void xfree_secret(void *ptr, size_t len);

#endif
