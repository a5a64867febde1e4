/* The API key subcommands: create-key, list-keys, revoke-key. Each change is written to the
 * audit log with the command line as its actor. */
#ifndef WH_CLI_KEYS_H
#define WH_CLI_KEYS_H
#include "fcgi-app/core/app.h"

/* Creates a key named name (NULL: "key") for an account, expiring at expires (an ISO-8601
 * time, NULL for never), and prints it: the only time it is shown. */
enum wh_err cli_create_key(struct app *app, const char *account_id, const char *name, const char *expires);
/* Prints the account's keys, one per line: id, name, prefix, created, lastUsedAt,
 * expiresAt, tab-separated ("-" for none). Never a key. */
enum wh_err cli_list_keys(struct app *app, const char *account_id);
/* Revokes a key by id; refused (WH_ERR_CONFLICT) for its account's last usable key. */
enum wh_err cli_revoke_key(struct app *app, const char *key_id);

#endif
