/* `setup`: prepares the local MariaDB for an installed linehook. */
#ifndef WH_SETUP_H
#define WH_SETUP_H
#include "fcgi-app/core/app.h"

/* Where setup's administrator connection goes when neither --socket nor db_socket says:
 * Debian's MariaDB. */
#define SETUP_DEFAULT_SOCKET "/run/mysqld/mysqld.sock"

struct setup_opts {
	const char *config_path; /* the config file to read and to write the password into */
	const char *socket;      /* the administrator's unix socket; NULL: db_socket */
	const char *owner;       /* the user that gets the master key; skipped when absent */
};

/* As MariaDB's root over its unix socket (unix_socket authentication, so run as root):
 * creates the database and the user when missing, generating the user's password into the
 * config file when db_password is empty, grants the user the database; then, as that
 * user, applies the migrations; then creates the master key (owned by opts->owner when
 * that user exists). Idempotent; prints one line per step saying what it did. app->cfg
 * is reloaded after the password is written, and app->db is left open as the user. */
enum wh_err setup_run(struct app *app, const struct setup_opts *opts);

#endif
