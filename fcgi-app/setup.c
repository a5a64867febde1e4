/* `setup`: database, user, grants, migrations and master key for an installed linehook. */
#include "fcgi-app/setup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/log.h"
#include "fcgi-app/cli.h"

#define SETUP_PASSWORD_LEN 32

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("setup: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

/* Names go into SQL text (DDL takes no placeholders), so only plain identifiers pass. */
static bool plain_identifier(const char *s)
{
	size_t n = strlen(s);
	if(n < 1 || n > 64)
		return false;
	for(size_t i = 0; i < n; i++)
		if(!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		     (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

static enum wh_err check_names(const struct config *cfg)
{
	if(!plain_identifier(config_str(cfg, CFG_DB_NAME)) || !plain_identifier(config_str(cfg, CFG_DB_USER))) {
		log_err("setup: db_name and db_user must be 1..64 characters of [A-Za-z0-9_]");
		return WH_ERR_CONFIG;
	}
	return WH_OK;
}

/* A connection as MariaDB's root over the unix socket, with no database selected. */
static enum wh_err open_admin(const struct setup_opts *opts, struct db **db)
{
	struct config admin;
	char err[512];
	const char *sock;
	enum wh_err result = config_load(&admin, opts->config_path, err, sizeof(err));
	if(result) {
		log_err("%s", err);
		return result;
	}
	sock = opts->socket ? opts->socket : *config_str(&admin, CFG_DB_SOCKET) ? NULL : SETUP_DEFAULT_SOCKET;
	if((sock && config_set(&admin, CFG_DB_SOCKET, sock, err, sizeof(err))) ||
	   config_set(&admin, CFG_DB_USER, "root", err, sizeof(err)) ||
	   config_set(&admin, CFG_DB_PASSWORD, "", err, sizeof(err)) ||
	   config_set(&admin, CFG_DB_NAME, "", err, sizeof(err)))
		abort(); /* plain strings: config_set cannot refuse them */
	result = db_open(db, &admin);
	if(result)
		log_err("setup: cannot connect to MariaDB as root over %s: run setup as root on the database host "
		        "(Debian's MariaDB lets the system root in over its socket), or name the socket with --socket",
		        config_str(&admin, CFG_DB_SOCKET));
	config_release(&admin);
	return result;
}

static enum wh_err count(struct db *db, const char *sql, const char *a, long long *n)
{
	struct db_rows rows;
	enum wh_err result = db_exec(db, sql, DBP(db_str(a)), &rows, NULL);
	if(result)
		return result;
	*n = db_rows_i64(&rows, 0, 0);
	db_rows_release(&rows);
	return WH_OK;
}

static enum wh_err ensure_database(struct db *db, const char *name)
{
	static const char q_exists[] = "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?";
	char sql[256];
	long long n = 0;
	enum wh_err result = count(db, q_exists, name, &n);
	if(result || n) {
		if(!result)
			say("database '%s' already present", name);
		return result;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", name);
	result = db_run_script(db, sql);
	if(!result)
		say("database '%s' created", name);
	return result;
}

/* Generates a password into the config file when it has none. *generated tells. */
static enum wh_err ensure_password(struct app *app, const struct setup_opts *opts, bool *generated)
{
	char pw[SETUP_PASSWORD_LEN + 1], err[512];
	enum wh_err result;
	*generated = false;
	if(*config_str(&app->cfg, CFG_DB_PASSWORD))
		return WH_OK;
	id_random(pw, SETUP_PASSWORD_LEN);
	result = config_file_set(opts->config_path, CFG_DB_PASSWORD, pw, err, sizeof(err));
	if(!result)
		result = config_set(&app->cfg, CFG_DB_PASSWORD, pw, err, sizeof(err));
	explicit_bzero(pw, sizeof(pw));
	if(result) {
		log_err("setup: %s", err);
		return result;
	}
	say("database password generated and written to %s", opts->config_path);
	*generated = true;
	return WH_OK;
}

static enum wh_err ensure_user(struct db *db, const struct config *cfg, bool new_password)
{
	static const char q_exists[] = "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND Host = 'localhost'";
	static const char q_set[] = "SET @linehook_pw = ?";
	static const char q_clear[] = "SET @linehook_pw = NULL";
	const char *user = config_str(cfg, CFG_DB_USER), *name = config_str(cfg, CFG_DB_NAME);
	char sql[512];
	long long n = 0;
	enum wh_err result = count(db, q_exists, user, &n);
	if(result)
		return result;
	if(!n || new_password) {
		/* CREATE/ALTER USER take no placeholders: the password goes in as a bound session
		 * variable and the server quotes it, so it is never part of any SQL text */
		result = db_exec(db, q_set, DBP(db_str(config_str(cfg, CFG_DB_PASSWORD))), NULL, NULL);
		snprintf(sql, sizeof(sql),
		         "EXECUTE IMMEDIATE CONCAT('%s USER ''%s''@''localhost'' IDENTIFIED BY ', QUOTE(@linehook_pw))",
		         n ? "ALTER" : "CREATE", user);
		if(!result)
			result = db_run_script(db, sql);
		db_exec(db, q_clear, DBP_NONE, NULL, NULL);
		if(result)
			return result;
		say("database user '%s'@'localhost' %s", user, n ? "given the new password" : "created");
	} else
		say("database user '%s'@'localhost' already present (password from the config kept)", user);
	snprintf(sql, sizeof(sql), "GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'localhost'", name, user);
	return db_run_script(db, sql);
}

static enum wh_err ensure_master_key(struct app *app, const char *owner)
{
	const char *path = config_str(&app->cfg, CFG_MASTER_KEY_FILE);
	bool existed = access(path, F_OK) == 0;
	struct passwd *pw = owner && geteuid() == 0 ? getpwnam(owner) : NULL;
	char err[512];
	enum wh_err result = crypto_master_key_load(path, app->master_key, err, sizeof(err));
	if(result) {
		log_err("setup: %s", err);
		return result;
	}
	if(existed) {
		say("master key already present at %s", path);
		return WH_OK;
	}
	if(pw && chown(path, pw->pw_uid, pw->pw_gid)) {
		log_err("setup: %s: cannot give it to %s: %s", path, owner, strerror(errno));
		return WH_ERR_IO;
	}
	say("master key created at %s%s%s", path, pw ? ", owned by " : "", pw ? owner : "");
	return WH_OK;
}

static enum wh_err migrate(struct app *app)
{
	size_t applied = 0;
	enum wh_err result = cli_migrate(app, &applied);
	if(result)
		return result;
	if(applied)
		say("%zu migration(s) applied", applied);
	else
		say("migrations already up to date");
	return WH_OK;
}

enum wh_err setup_run(struct app *app, const struct setup_opts *opts)
{
	struct db *admin = NULL;
	bool generated = false;
	enum wh_err result = check_names(&app->cfg);
	if(!result)
		result = open_admin(opts, &admin);
	if(!result)
		result = ensure_database(admin, config_str(&app->cfg, CFG_DB_NAME));
	if(!result)
		result = ensure_password(app, opts, &generated);
	if(!result)
		result = ensure_user(admin, &app->cfg, generated);
	db_free(admin);
	if(result)
		return result;
	result = db_open(&app->db, &app->cfg);
	if(result) {
		log_err("setup: the database refuses user '%s' with the config's password; empty db_password in %s "
		        "and run setup again to set a new one",
		        config_str(&app->cfg, CFG_DB_USER), opts->config_path);
		return result;
	}
	result = migrate(app);
	if(!result)
		result = ensure_master_key(app, opts->owner);
	if(!result)
		say("done");
	return result;
}
