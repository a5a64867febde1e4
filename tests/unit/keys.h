/* Test keys: private keys as the PEM text the API stores and the worker signs with. */
#ifndef WH_TEST_KEYS_H
#define WH_TEST_KEYS_H
#include <openssl/evp.h>

/* key as unencrypted PKCS#8 PEM (new, free() it). */
char *test_key_pem(EVP_PKEY *key);

#endif
