/* JWT signing: RS256 and ES256 assertions verify with the matching public key. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/jwt.h"
#include "tests/unit/keys.h"
#include "tests/unit/test.h"

static int b64url_decode(const char *s, size_t n, struct buf *out)
{
	struct buf std;
	int rc;
	buf_init(&std, 0);
	for(size_t i = 0; i < n; i++) {
		char c = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
		buf_add(&std, &c, 1);
	}
	while(std.len % 4)
		buf_add(&std, "=", 1);
	rc = crypto_base64_decode(std.ptr, std.len, out) == WH_OK;
	buf_release(&std);
	return rc;
}

/* Verifies a compact JWT against key; converts ES256's r||s back to DER first. */
static int verify(const char *jwt, EVP_PKEY *key, int ec)
{
	const char *dot2 = strrchr(jwt, '.');
	struct buf sig;
	unsigned char *der = NULL;
	int derlen = 0, ok;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	buf_init(&sig, 0);
	if(!dot2 || !b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig))
		return 0;
	if(ec) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		ECDSA_SIG_set0(es, BN_bin2bn((unsigned char *)sig.ptr, 32, NULL),
		               BN_bin2bn((unsigned char *)sig.ptr + 32, 32, NULL));
		derlen = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
	}
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(md, ec ? der : (unsigned char *)sig.ptr, ec ? (size_t)derlen : sig.len,
	                      (const unsigned char *)jwt, (size_t)(dot2 - jwt)) == 1;
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	buf_release(&sig);
	return ok;
}

static void check_key(EVP_PKEY *key, enum jwt_alg want, int ec)
{
	char *pem = test_key_pem(key);
	struct jwt_claims c = {"issuer", "subject", "https://auth.example/token", 1700000000, 300, "jti1"};
	struct buf out, part;
	const char *dot;
	buf_init(&out, 0);
	buf_init(&part, 0);
	CHECK(jwt_key_alg(pem, strlen(pem)) == want);
	CHECK(jwt_sign(pem, strlen(pem), &c, &out) == WH_OK);
	CHECK(verify(out.ptr, key, ec));
	dot = strchr(out.ptr, '.');
	CHECK(dot && b64url_decode(dot + 1, (size_t)(strchr(dot + 1, '.') - dot - 1), &part));
	CHECK(strstr(buf_str(&part), "\"exp\":1700000300") != NULL);
	CHECK(strstr(buf_str(&part), "\"aud\":\"https://auth.example/token\"") != NULL);
	/* A changed payload no longer verifies. */
	out.ptr[(size_t)(dot - out.ptr) + 2] ^= 1;
	CHECK(!verify(out.ptr, key, ec));
	buf_release(&out);
	buf_release(&part);
	free(pem);
}

TEST_SUITE(jwt_rs256_and_es256)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	EVP_PKEY *ec384 = EVP_EC_gen("P-384");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *pem;
	check_key(rsa, JWT_ALG_RS256, 0);
	check_key(ec, JWT_ALG_ES256, 1);
	pem = test_key_pem(ec384);
	CHECK(jwt_key_alg(pem, strlen(pem)) == JWT_ALG_NONE);
	free(pem);
	pem = test_key_pem(ed);
	CHECK(jwt_key_alg(pem, strlen(pem)) == JWT_ALG_NONE);
	free(pem);
	CHECK(jwt_key_alg("not a key", 9) == JWT_ALG_NONE);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec384);
	EVP_PKEY_free(ed);
}
