/* Signature known answers of SPEC §7, including the Standard Webhooks spec vector. */
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/sign.h"
#include "tests/unit/test.h"

#define SECRET "rUNbNyRdOC2FJm4rzTR5y1cs"
#define MSG_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define BODY "{\"test\": 2432232314}"

TEST_SUITE(sign_waitwhile_known_answer)
{
	struct sign_key k = {SECRET, strlen(SECRET)};
	struct buf out;
	buf_init(&out, 256);
	CHECK(sign_waitwhile(&k, "https://test.com/test", "{\"x\":1}", 7, &out) == WH_OK);
	CHECK_STR(buf_str(&out), "jhrg99ihPy26+yYbL9Cdg5zDiAwOIW6lHsg3j4nzTkI=");
	buf_reset(&out);
	/* the URL is part of what is signed: another URL, another signature */
	CHECK(sign_waitwhile(&k, "https://example.com/test", "{\"x\":1}", 7, &out) == WH_OK);
	CHECK(strcmp(buf_str(&out), "jhrg99ihPy26+yYbL9Cdg5zDiAwOIW6lHsg3j4nzTkI=") != 0);
	buf_release(&out);
}

TEST_SUITE(sign_standard_known_answers)
{
	struct sign_key keys[2] = {{SECRET, strlen(SECRET)}, {NULL, 0}};
	struct buf out, spec_key;
	buf_init(&out, 1024);
	buf_init(&spec_key, 64);
	CHECK(sign_standard(keys, 1, MSG_ID, 1614265330LL, BODY, strlen(BODY), &out) == WH_OK);
	CHECK_STR(buf_str(&out), "v1,TUNQyfuEpt29vbNZBxCzZHyXQ0w4shYJAyYH/sDHZww=");

	/* the Standard Webhooks spec's own vector: key = base64-decode(whsec_ part) */
	CHECK(crypto_base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 32, &spec_key) == WH_OK);
	keys[0] = (struct sign_key){spec_key.ptr, spec_key.len};
	buf_reset(&out);
	CHECK(sign_standard(keys, 1, MSG_ID, 1614265330LL, BODY, strlen(BODY), &out) == WH_OK);
	CHECK_STR(buf_str(&out), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

	/* rotation overlap: one space-separated v1 entry per secret, current first */
	keys[0] = (struct sign_key){SECRET, strlen(SECRET)};
	keys[1] = (struct sign_key){spec_key.ptr, spec_key.len};
	buf_reset(&out);
	CHECK(sign_standard(keys, 2, MSG_ID, 1614265330LL, BODY, strlen(BODY), &out) == WH_OK);
	CHECK_STR(buf_str(&out), "v1,TUNQyfuEpt29vbNZBxCzZHyXQ0w4shYJAyYH/sDHZww= "
	                         "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* the timestamp is signed */
	buf_reset(&out);
	CHECK(sign_standard(keys, 1, MSG_ID, 1614265331LL, BODY, strlen(BODY), &out) == WH_OK);
	CHECK(strcmp(buf_str(&out), "v1,TUNQyfuEpt29vbNZBxCzZHyXQ0w4shYJAyYH/sDHZww=") != 0);
	buf_release(&out);
	buf_release(&spec_key);
}
