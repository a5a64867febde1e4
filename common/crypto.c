/* OpenSSL wrapper: SHA-256, HMAC, base64, AES-256-GCM, master key file. */
#include "common/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <stdint.h>
#include <stdlib.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"

void crypto_sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	static const char hex[] = "0123456789abcdef";
	SHA256(data, len, md);
	for(int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *const *parts, const size_t *lens, size_t nparts,
                        unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned int outlen = CRYPTO_SHA256_LEN;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *mctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
	                       OSSL_PARAM_construct_end()};
	size_t got = 0;
	if(!mctx || !EVP_MAC_init(mctx, key, keylen, params))
		goto fatal;
	for(size_t i = 0; i < nparts; i++)
		if(!EVP_MAC_update(mctx, parts[i], lens[i]))
			goto fatal;
	if(!EVP_MAC_final(mctx, out, &got, outlen) || got != outlen)
		goto fatal;
	EVP_MAC_CTX_free(mctx);
	EVP_MAC_free(mac);
	return;
fatal:
	fprintf(stderr, "fatal: HMAC failed\n");
	abort();
}

static enum wh_err b64(const void *data, size_t len, struct buf *out, bool url)
{
	size_t need = 4 * ((len + 2) / 3);
	char *tmp = xmalloc(need + 1);
	enum wh_err result;
	int n = EVP_EncodeBlock((unsigned char *)tmp, data, (int)len);
	if(url) {
		for(int i = 0; i < n; i++) {
			if(tmp[i] == '+')
				tmp[i] = '-';
			else if(tmp[i] == '/')
				tmp[i] = '_';
		}
		while(n > 0 && tmp[n - 1] == '=')
			n--;
	}
	result = buf_add(out, tmp, (size_t)n);
	free(tmp);
	return result;
}

enum wh_err crypto_base64(const void *data, size_t len, struct buf *out)
{
	return b64(data, len, out, false);
}

enum wh_err crypto_base64url(const void *data, size_t len, struct buf *out)
{
	return b64(data, len, out, true);
}

enum wh_err crypto_base64_decode(const char *s, size_t len, struct buf *out)
{
	unsigned char *tmp;
	int n;
	size_t pad = 0;
	enum wh_err result;
	if(len % 4)
		return WH_ERR_INVALID;
	for(size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok =
		    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
		if(c == '=' && i >= len - 2) {
			pad++;
			continue;
		}
		if(!ok || pad)
			return WH_ERR_INVALID;
	}
	tmp = xmalloc(len / 4 * 3 + 1);
	n = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
	if(n < 0) {
		free(tmp);
		return WH_ERR_INVALID;
	}
	result = buf_add(out, tmp, (size_t)n - pad);
	OPENSSL_cleanse(tmp, (size_t)n);
	free(tmp);
	return result;
}

bool crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* Writes a new key to a private temporary file, then links it into place, so a process
 * racing us never reads a half-written key. */
static enum wh_err master_key_create(const char *path, char *err, size_t errlen)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char tmp[4096];
	enum wh_err result = WH_OK;
	ssize_t n;
	int fd;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if(fd < 0) {
		snprintf(err, errlen, "%s: cannot create master key: %s", path, strerror(errno));
		return WH_ERR_IO;
	}
	if(RAND_bytes(key, sizeof(key)) != 1) {
		snprintf(err, errlen, "RAND_bytes failed");
		result = WH_ERR_CRYPTO;
		goto out;
	}
	n = write(fd, key, sizeof(key));
	if(n != (ssize_t)sizeof(key) || fsync(fd)) {
		snprintf(err, errlen, "%s: cannot write master key", path);
		result = WH_ERR_IO;
		goto out;
	}
	if(link(tmp, path) && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create master key: %s", path, strerror(errno));
		result = WH_ERR_IO;
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	close(fd);
	unlink(tmp);
	return result;
}

enum wh_err crypto_master_key_load(const char *path, unsigned char key[CRYPTO_KEY_LEN], char *err, size_t errlen)
{
	struct stat st;
	enum wh_err result;
	ssize_t n;
	int fd;
	if(access(path, F_OK) != 0) {
		result = master_key_create(path, err, errlen);
		if(result)
			return result;
	}
	fd = open(path, O_RDONLY);
	if(fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: cannot open master key: %s", path, strerror(errno));
		if(fd >= 0)
			close(fd);
		return WH_ERR_IO;
	}
	if(st.st_mode & 077) {
		close(fd);
		snprintf(err, errlen, "%s: master key must not be readable by group or others (chmod 600)", path);
		return WH_ERR_CONFIG;
	}
	n = read(fd, key, CRYPTO_KEY_LEN);
	close(fd);
	if(n != CRYPTO_KEY_LEN || st.st_size != CRYPTO_KEY_LEN) {
		snprintf(err, errlen, "%s: master key must be exactly %d bytes", path, CRYPTO_KEY_LEN);
		return WH_ERR_CONFIG;
	}
	return WH_OK;
}

enum wh_err crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *aad, const void *plain, size_t len,
                        struct buf *out)
{
	enum wh_err result = WH_ERR_CRYPTO;
	unsigned char nonce[12], tag[16];
	unsigned char *ct = xmalloc(len + 16);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;
	if(!ctx || RAND_bytes(nonce, sizeof(nonce)) != 1)
		goto out;
	if(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
	   EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
	   EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len) != 1 || EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 ||
	   EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto out;
	result = buf_add(out, nonce, sizeof(nonce));
	if(!result)
		result = buf_add(out, ct, (size_t)(n + fin));
	if(!result)
		result = buf_add(out, tag, sizeof(tag));
out:
	EVP_CIPHER_CTX_free(ctx);
	free(ct);
	return result;
}

enum wh_err crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const char *aad, const void *sealed, size_t len,
                        struct buf *out)
{
	enum wh_err result = WH_ERR_CRYPTO;
	const unsigned char *p = sealed;
	unsigned char *pt = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	int n = 0, fin = 0;
	size_t ctlen;
	if(len < 28)
		return WH_ERR_CRYPTO;
	ctlen = len - 28;
	pt = xmalloc(ctlen + 1);
	ctx = EVP_CIPHER_CTX_new();
	if(!ctx || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, p) != 1 ||
	   EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
	   EVP_DecryptUpdate(ctx, pt, &n, p + 12, (int)ctlen) != 1 ||
	   EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(uintptr_t)(p + len - 16)) != 1 ||
	   EVP_DecryptFinal_ex(ctx, pt + n, &fin) != 1)
		goto out;
	result = buf_add(out, pt, (size_t)(n + fin));
out:
	EVP_CIPHER_CTX_free(ctx);
	xfree_secret(pt, ctlen + 1);
	return result;
}

void crypto_buf_wipe(struct buf *b)
{
	if(b->ptr)
		OPENSSL_cleanse(b->ptr, b->cap);
	buf_release(b);
}
