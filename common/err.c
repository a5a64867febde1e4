/* Mapping of the project error enum to HTTP status, error code and default message. */
#include "common/err.h"

static const struct {
	int status;
	const char *code;
	const char *message;
} err_table[WH_ERR__COUNT] = {
    [WH_OK] = {200, "ok", "ok"},
    [WH_ERR_INVALID] = {400, "validation_failed", "invalid request"},
    [WH_ERR_BAD_JSON] = {400, "invalid_json", "request body is not valid JSON"},
    [WH_ERR_UNAUTHORIZED] = {401, "unauthorized", "missing or invalid API key"},
    [WH_ERR_CREDENTIALS] = {400, "conflicting_credentials",
                            "the apikey header and Authorization: Bearer name different keys; send one"},
    [WH_ERR_NOT_FOUND] = {404, "not_found", "not found"},
    [WH_ERR_METHOD] = {405, "method_not_allowed", "method not allowed"},
    [WH_ERR_CONFLICT] = {409, "conflict", "conflict"},
    [WH_ERR_LIMIT] = {409, "webhook_limit_reached", "webhook limit reached"},
    [WH_ERR_LENGTH_REQUIRED] = {411, "length_required", "Content-Length is required"},
    [WH_ERR_TOO_LARGE] = {413, "payload_too_large", "request body too large"},
    [WH_ERR_MEDIA_TYPE] = {415, "unsupported_media_type", "Content-Type must be application/json"},
    [WH_ERR_RATE] = {429, "rate_limited", "too many requests"},
    [WH_ERR_INTERNAL] = {500, "internal_error", "internal error"},
    [WH_ERR_DB_DOWN] = {503, "database_unavailable", "database unavailable"},
    [WH_ERR_DB] = {500, "internal_error", "database error"},
    [WH_ERR_IO] = {500, "internal_error", "i/o error"},
    [WH_ERR_CONFIG] = {500, "internal_error", "configuration error"},
    [WH_ERR_CRYPTO] = {500, "internal_error", "cryptography error"},
    [WH_ERR_IDEM_REUSED] = {409, "idempotency_key_reused",
                            "this Idempotency-Key was used with another request in the last 24 hours"},
    [WH_ERR_DB_BUSY] = {503, "database_busy", "the write conflicted with concurrent writes; retry it"},
};

int wh_err_http_status(enum wh_err err)
{
	if((unsigned)err >= WH_ERR__COUNT)
		return 500;
	return err_table[err].status;
}

const char *wh_err_code(enum wh_err err)
{
	if((unsigned)err >= WH_ERR__COUNT)
		return "internal_error";
	return err_table[err].code;
}

const char *wh_err_message(enum wh_err err)
{
	if((unsigned)err >= WH_ERR__COUNT)
		return "internal error";
	return err_table[err].message;
}
