/* The API binary's command-line subcommands: migrate, create-account (the key commands
 * are in cli_keys.h). */
#ifndef WH_CLI_H
#define WH_CLI_H
#include <stddef.h>

#include "fcgi-app/core/app.h"

/* Applies sql/NNN_*.sql files not yet recorded in schema_migrations, in order; *applied
 * receives how many were. */
enum wh_err cli_migrate(struct app *app, size_t *applied);
/* Creates an account and prints its id. */
enum wh_err cli_create_account(struct app *app, const char *name);

#endif
