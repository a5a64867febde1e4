/* The one wrapper around OpenSSL: hashes, HMAC, base64, AES-256-GCM sealing of secrets
 * under the master key, constant-time comparison. Nothing else includes OpenSSL headers
 * except the worker's JWT signing. */
#ifndef WH_CRYPTO_H
#define WH_CRYPTO_H
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

#define CRYPTO_KEY_LEN 32
#define CRYPTO_SHA256_LEN 32

/* Lowercase hex SHA-256 of data; out needs 65 bytes. */
void crypto_sha256_hex(const void *data, size_t len, char *out);

/* HMAC-SHA256 over the concatenation of nparts parts, without copying them together. */
void crypto_hmac_sha256(const void *key, size_t keylen, const void *const *parts, const size_t *lens, size_t nparts,
                        unsigned char out[CRYPTO_SHA256_LEN]);

/* Appends standard base64 (with padding) of data to out. */
enum wh_err crypto_base64(const void *data, size_t len, struct buf *out);
/* Appends base64url without padding (JWT). */
enum wh_err crypto_base64url(const void *data, size_t len, struct buf *out);
/* Decodes standard base64 (padding required, no whitespace) into out; WH_ERR_INVALID when malformed. */
enum wh_err crypto_base64_decode(const char *s, size_t len, struct buf *out);

/* Constant-time equality of two n-byte regions. */
bool crypto_equal(const void *a, const void *b, size_t n);

/* Reads the 32-byte master key from path, creating it (mode 0600, from RAND_bytes) when
 * it does not exist. Refuses a file of another size or readable by group or others. */
enum wh_err crypto_master_key_load(const char *path, unsigned char key[CRYPTO_KEY_LEN], char *err, size_t errlen);

/* AES-256-GCM: out receives nonce(12) | ciphertext | tag(16). aad binds the blob to its
 * row (e.g. "webhook:<id>:secret"): a blob copied to another row fails to open. */
enum wh_err crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *aad, const void *plain, size_t len,
                        struct buf *out);
/* Opens a sealed blob; WH_ERR_CRYPTO when the key, aad or data don't match. out receives the
 * plaintext (NUL-terminated by buf); release it with buf_release after wiping. */
enum wh_err crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const char *aad, const void *sealed, size_t len,
                        struct buf *out);

/* Wipes and releases a buffer that held a secret. */
void crypto_buf_wipe(struct buf *b);

#endif
