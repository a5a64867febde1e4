/* Syntax check of webhook and token URLs (SPEC §5): absolute http(s), a valid host, no
 * userinfo, bounded length. Pure: no DNS, no database. The address policy (SSRF) is a
 * separate concern applied on top of what this module extracts. */
#ifndef WH_WEBHOOK_URL_H
#define WH_WEBHOOK_URL_H
#include <stdbool.h>

#include "common/json_util.h"
#include "common/urlpolicy.h"

#define WH_URL_MAX 2048
#define WH_URL_HOST_MAX 253

enum wh_url_host { WH_URL_HOST_DNS, WH_URL_HOST_IPV4, WH_URL_HOST_IPV6 };

struct wh_url {
	bool https;
	enum wh_url_host host_kind;
	char host[WH_URL_HOST_MAX + 1]; /* without the IPv6 brackets */
	int port;                       /* explicit port, or 443 / 80 */
};

/* Checks url. allow_http permits http:// besides https://. On success fills out (may be
 * NULL) and returns WH_OK; otherwise WH_ERR_INVALID with err naming field. */
enum wh_err wh_url_check(const char *url, bool allow_http, const char *field, struct wh_url *out, struct jx_err *err);

/* wh_url_check, then the URL policy (SPEC §9) on a host written as an IP literal: it must
 * be an address pol allows (DNS names are checked by the worker on the address it connects
 * to). pol NULL skips the policy. WH_ERR_INVALID naming field. */
enum wh_err wh_url_allowed(const char *url, bool allow_http, const struct urlpolicy *pol, const char *field,
                           struct jx_err *err);

#endif
