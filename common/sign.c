/* Delivery signatures: the Waitwhile header and the Standard Webhooks header. */
#include "common/sign.h"

#include <stdio.h>
#include <string.h>

#include "common/crypto.h"

enum wh_err sign_waitwhile(const struct sign_key *key, const char *url, const void *body, size_t body_len,
                           struct buf *out)
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	const void *parts[2] = {url, body};
	size_t lens[2] = {strlen(url), body_len};
	crypto_hmac_sha256(key->key, key->len, parts, lens, 2, mac);
	return crypto_base64(mac, sizeof(mac), out);
}

enum wh_err sign_standard(const struct sign_key *keys, size_t nkeys, const char *msg_id, long long timestamp,
                          const void *body, size_t body_len, struct buf *out)
{
	char ts[24];
	enum wh_err result = WH_OK;
	snprintf(ts, sizeof(ts), "%lld", timestamp);
	for(size_t i = 0; i < nkeys && !result; i++) {
		unsigned char mac[CRYPTO_SHA256_LEN];
		const void *parts[5] = {msg_id, ".", ts, ".", body};
		size_t lens[5] = {strlen(msg_id), 1, strlen(ts), 1, body_len};
		crypto_hmac_sha256(keys[i].key, keys[i].len, parts, lens, 5, mac);
		result = buf_adds(out, i ? " v1," : "v1,");
		if(!result)
			result = crypto_base64(mac, sizeof(mac), out);
	}
	return result;
}
