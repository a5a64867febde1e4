/* Multi-row statement texts ("INSERT ... VALUES (?, ?), (?, ?)", "... IN (?, ?, ?)") for
 * the batch writers. The database layer caches prepared statements by their text and keeps
 * the pointer, so the texts are built once per (shape, row count) and live until exit.
 * Thread-safe (the database thread and the recording thread share the texts). */
#ifndef WH_SQLROWS_H
#define WH_SQLROWS_H
#include <stddef.h>

/* Row counts a batch is split into, largest first; every count is one of these. */
#define SQLROWS_MAX 64

/* The largest supported chunk size <= n (n >= 1): 64, 16, 4 or 1. */
size_t sqlrows_chunk(size_t n);

/* head followed by nrows copies of row separated by ", ", then tail (may be ""). head and
 * row must be string literals (they identify the shape); nrows from sqlrows_chunk. Static. */
const char *sqlrows_text(const char *head, const char *row, const char *tail, size_t nrows);
/* The same with another separator between the rows (" UNION ALL " for a derived table of
 * SELECT rows); sep must be a string literal too. */
const char *sqlrows_text_sep(const char *head, const char *row, const char *sep, const char *tail, size_t nrows);

#endif
