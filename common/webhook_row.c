/* Sealing and opening a webhook row's secrets, bound to the row by their AAD. */
#include "common/webhook_row.h"

#include <stdio.h>
#include <string.h>

void whrow_aad(const char *id, const char *what, char out[WHROW_AAD_MAX])
{
	snprintf(out, WHROW_AAD_MAX, "webhook:%s:%s", id, what);
}

enum wh_err whrow_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *id, const char *what, const char *plain,
                       struct buf *out)
{
	char aad[WHROW_AAD_MAX];
	buf_init(out, 0);
	whrow_aad(id, what, aad);
	return crypto_seal(key, aad, plain, strlen(plain), out);
}

enum wh_err whrow_open(const unsigned char key[CRYPTO_KEY_LEN], const char *id, const char *what, const void *sealed,
                       size_t len, struct buf *plain)
{
	char aad[WHROW_AAD_MAX];
	buf_init(plain, 0);
	whrow_aad(id, what, aad);
	return crypto_open(key, aad, sealed, len, plain);
}
