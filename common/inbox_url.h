/* Request inbox URLs (SPEC §14): <public_base_url>/in/<token>. The one place that decides
 * whether a URL is an inbox of this service, for the API (URL checks, serving /in/) and
 * the worker (the URL policy lets exactly these through). */
#ifndef WH_INBOX_URL_H
#define WH_INBOX_URL_H
#include <stdbool.h>
#include <stddef.h>

/* 22 characters of [A-Za-z0-9]: 131 random bits. */
#define INBOX_TOKEN_LEN 22
#define INBOX_PATH "/in/"

/* A public_base_url value: "http://" or "https://", then a host (a name of letters, digits,
 * '-' and '.', or an IP literal, [v6] in brackets) and an optional :port; no user, path,
 * query or trailing slash. */
bool inbox_base_valid(const char *base);

/* A token: exactly INBOX_TOKEN_LEN characters of [A-Za-z0-9]. */
bool inbox_token_valid(const char *token);

/* True when url is exactly base + "/in/" + a valid token (the origin compared byte for
 * byte, nothing after the token). base empty or invalid: false. */
bool inbox_url_match(const char *url, const char *base);

#endif
