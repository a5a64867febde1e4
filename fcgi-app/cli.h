/* The API binary's command-line subcommands: migrate, create-account, create-key. */
#ifndef WH_CLI_H
#define WH_CLI_H
#include <stddef.h>

#include "fcgi-app/core/app.h"

/* Applies sql/NNN_*.sql files not yet recorded in schema_migrations, in order; *applied
 * receives how many were. */
enum wh_err cli_migrate(struct app *app, size_t *applied);
/* Creates an account and prints its id. */
enum wh_err cli_create_account(struct app *app, const char *name);
/* Creates an API key for an account and prints it (the only time it is shown). */
enum wh_err cli_create_key(struct app *app, const char *account_id);

#endif
