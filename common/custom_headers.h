/* Custom headers of a webhook (SPEC §14): the rules both binaries apply to a name and a
 * value. The API refuses what breaks them; the worker skips it, so a row written around the
 * API can't override a header the delivery itself sets. */
#ifndef WH_CUSTOM_HEADERS_H
#define WH_CUSTOM_HEADERS_H
#include <stdbool.h>

#define CUSTOM_HEADERS_MAX 10
#define CUSTOM_HEADER_NAME_MAX 64
#define CUSTOM_HEADER_VALUE_MAX 1000

/* An HTTP token (RFC 9110 tchar) of 1..CUSTOM_HEADER_NAME_MAX characters. */
bool custom_header_name_valid(const char *name);

/* 1..CUSTOM_HEADER_VALUE_MAX visible ASCII characters; inner spaces allowed, none at
 * either end. */
bool custom_header_value_valid(const char *value);

/* True for a name the delivery sets itself or that changes how the request travels
 * (compared case-insensitively): Content-Type, Content-Length, Host, User-Agent,
 * Connection, Transfer-Encoding, X-Waitwhile-Signature, any webhook-*, the hop-by-hop
 * headers (Keep-Alive, TE, Trailer, Upgrade, Proxy-*, Expect), and Authorization when the
 * webhook uses OAuth. */
bool custom_header_reserved(const char *name, bool oauth);

#endif
