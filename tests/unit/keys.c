/* PEM text of test keys. */
#include "tests/unit/keys.h"

#include <openssl/pem.h>
#include <string.h>

#include "common/xalloc.h"

char *test_key_pem(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *copy;
	long n;
	PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &data);
	copy = xstrndup(data, (size_t)n);
	BIO_free(bio);
	return copy;
}
