/* Multi-row statement texts, built once and kept. */
#include "delivery-worker/sqlrows.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define SHAPES_MAX 64

struct shape {
	const char *head, *row, *sep, *tail;
	size_t nrows;
	char *text;
};

static struct shape shapes[SHAPES_MAX];
static size_t nshapes;
/* The database thread and the recording thread both build texts. */
static pthread_mutex_t shapes_mu = PTHREAD_MUTEX_INITIALIZER;

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

static char *build(const char *head, const char *row, const char *sep, const char *tail, size_t nrows)
{
	size_t len = strlen(head) + nrows * (strlen(row) + strlen(sep)) + strlen(tail) + 1;
	char *text = xmalloc(len), *p = text;
	size_t n = strlen(head);
	memcpy(p, head, n);
	p += n;
	for(size_t i = 0; i < nrows; i++) {
		if(i) {
			n = strlen(sep);
			memcpy(p, sep, n);
			p += n;
		}
		n = strlen(row);
		memcpy(p, row, n);
		p += n;
	}
	n = strlen(tail);
	memcpy(p, tail, n + 1);
	return text;
}

const char *sqlrows_text_sep(const char *head, const char *row, const char *sep, const char *tail, size_t nrows)
{
	const char *text = NULL;
	pthread_mutex_lock(&shapes_mu);
	for(size_t i = 0; i < nshapes && !text; i++)
		if(shapes[i].head == head && shapes[i].row == row && shapes[i].sep == sep && shapes[i].tail == tail &&
		   shapes[i].nrows == nrows)
			text = shapes[i].text;
	if(!text) {
		if(nshapes == SHAPES_MAX) /* a caller bug: more shapes than the workers use */
			abort();
		shapes[nshapes] = (struct shape){head, row, sep, tail, nrows, build(head, row, sep, tail, nrows)};
		text = shapes[nshapes++].text;
	}
	pthread_mutex_unlock(&shapes_mu);
	return text;
}

const char *sqlrows_text(const char *head, const char *row, const char *tail, size_t nrows)
{
	static const char comma[] = ", ";
	return sqlrows_text_sep(head, row, comma, tail, nrows);
}
