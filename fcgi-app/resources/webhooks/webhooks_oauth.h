/* Validation of a webhook's oAuth object (SPEC §8): token URL, claims, lifetime, and the
 * private key, which must be a PEM RSA (>= 2048 bits) or EC P-256 key. Pure: no database. */
#ifndef WH_WEBHOOKS_OAUTH_H
#define WH_WEBHOOKS_OAUTH_H
#include <jansson.h>
#include <stdbool.h>

#include "common/json_util.h"
#include "common/urlpolicy.h"

#define WH_OAUTH_KEY_MAX 16384
#define WH_OAUTH_EXPIRES_DEFAULT 3600

/* Checks the oAuth value v (an object); tokenUrl as wh_url_allowed with allow_http and pol. *meta receives a new object
 * {"tokenUrl","expiresIn","claims":{iss,sub,aud[,scope]}} without the key; *key the PEM
 * (borrowed from v) or NULL when absent, which is an error unless key_optional. */
enum wh_err wh_oauth_parse(json_t *v, bool allow_http, const struct urlpolicy *pol, bool key_optional, json_t **meta,
                           const char **key, struct jx_err *err);

/* WH_ERR_INVALID naming field unless pem is a private key common/jwt can sign with. */
enum wh_err wh_oauth_key_check(const char *pem, const char *field, struct jx_err *err);

#endif
