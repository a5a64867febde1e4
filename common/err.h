/* The one project-wide error enum and its mapping to HTTP status and JSON error codes. */
#ifndef WH_ERR_H
#define WH_ERR_H

enum wh_err {
	WH_OK = 0,
	WH_ERR_INVALID,         /* 400 validation_failed: bad input */
	WH_ERR_BAD_JSON,        /* 400 invalid_json: body is not parseable JSON */
	WH_ERR_UNAUTHORIZED,    /* 401 unauthorized */
	WH_ERR_CREDENTIALS,     /* 400 conflicting_credentials: apikey and Bearer name different keys */
	WH_ERR_NOT_FOUND,       /* 404 not_found */
	WH_ERR_METHOD,          /* 405 method_not_allowed */
	WH_ERR_CONFLICT,        /* 409 conflict (e.g. impossible state change) */
	WH_ERR_LIMIT,           /* 409 webhook_limit_reached */
	WH_ERR_LENGTH_REQUIRED, /* 411 length_required */
	WH_ERR_TOO_LARGE,       /* 413 payload_too_large */
	WH_ERR_MEDIA_TYPE,      /* 415 unsupported_media_type */
	WH_ERR_RATE,            /* 429 rate_limited */
	WH_ERR_INTERNAL,        /* 500 internal_error */
	WH_ERR_DB_DOWN,         /* 503 database_unavailable: connection lost or refused */
	WH_ERR_DB,              /* 500: a statement failed for another reason */
	WH_ERR_IO,              /* 500: file or system call failed */
	WH_ERR_CONFIG,          /* bad configuration (startup only) */
	WH_ERR_CRYPTO,          /* 500: OpenSSL failure or an authentication tag mismatch */
	WH_ERR_IDEM_REUSED,     /* 409 idempotency_key_reused: same Idempotency-Key, other request */
	WH_ERR_DB_BUSY,         /* 503 database_busy: a write still conflicted after its retries */
	WH_ERR__COUNT
};

/* HTTP status for an error; WH_OK maps to 200. */
int wh_err_http_status(enum wh_err err);

/* Stable machine-readable code for the JSON error body ("validation_failed", ...). */
const char *wh_err_code(enum wh_err err);

/* Default human message when a handler gives none. */
const char *wh_err_message(enum wh_err err);

#endif
