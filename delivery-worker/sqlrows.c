/* Multi-row statement texts, built once and kept. */
#include "delivery-worker/sqlrows.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define SHAPES_MAX 16

struct shape {
	const char *head, *row, *tail;
	size_t nrows;
	char *text;
};

static struct shape shapes[SHAPES_MAX];
static size_t nshapes;

size_t sqlrows_chunk(size_t n)
{
	if(n >= 64)
		return 64;
	if(n >= 16)
		return 16;
	if(n >= 4)
		return 4;
	return 1;
}

static char *build(const char *head, const char *row, const char *tail, size_t nrows)
{
	size_t len = strlen(head) + nrows * (strlen(row) + 2) + strlen(tail) + 1;
	char *text = xmalloc(len), *p = text;
	size_t n = strlen(head);
	memcpy(p, head, n);
	p += n;
	for(size_t i = 0; i < nrows; i++) {
		if(i) {
			memcpy(p, ", ", 2);
			p += 2;
		}
		n = strlen(row);
		memcpy(p, row, n);
		p += n;
	}
	n = strlen(tail);
	memcpy(p, tail, n + 1);
	return text;
}

const char *sqlrows_text(const char *head, const char *row, const char *tail, size_t nrows)
{
	for(size_t i = 0; i < nshapes; i++)
		if(shapes[i].head == head && shapes[i].row == row && shapes[i].tail == tail && shapes[i].nrows == nrows)
			return shapes[i].text;
	if(nshapes == SHAPES_MAX) /* a caller bug: more shapes than the workers use */
		abort();
	shapes[nshapes] = (struct shape){head, row, tail, nrows, build(head, row, tail, nrows)};
	return shapes[nshapes++].text;
}
