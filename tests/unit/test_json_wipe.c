/* jx_decref_wiped wipes only the strings that go with the value, never a shared one. */
#include "common/json_util.h"
#include "tests/unit/test.h"

TEST_SUITE(json_decref_wiped)
{
	json_t *shared = json_string("kept-by-another-owner");
	json_t *body = json_object();
	json_t *list = json_array();
	json_object_set(body, "shared", shared);
	json_object_set_new(body, "secret", json_string("rUNbNyRdOC2FJm4rzTR5y1cs"));
	json_array_append(list, shared);
	json_object_set_new(body, "list", list);
	jx_decref_wiped(body);
	CHECK(shared->refcount == 1);
	CHECK_STR(json_string_value(shared), "kept-by-another-owner");
	/* A container someone else holds is left whole, strings and all. */
	body = json_object();
	json_object_set_new(body, "secret", json_string("abc"));
	json_incref(body);
	jx_decref_wiped(body);
	CHECK_STR(json_string_value(json_object_get(body, "secret")), "abc");
	json_decref(body);
	json_decref(shared);
	jx_decref_wiped(NULL);
}
