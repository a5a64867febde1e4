/* Subcommands run from the shell against the configured database. */
#include "fcgi-app/cli.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/log.h"
#include "common/xalloc.h"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of NNN_*.sql names in dir; new array of new strings, NULL-terminated. */
static char **list_migrations(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	*count = 0;
	if(!d)
		return NULL;
	while((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if(len < 8 || strcmp(e->d_name + len - 4, ".sql") || e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		names = xrealloc(names, (n + 2) * sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if(!names)
		return NULL;
	names[n] = NULL;
	qsort(names, n, sizeof(*names), cmp_names);
	*count = n;
	return names;
}

/* The whole file (new), or NULL when it can't be opened, read completely or held in a
 * buffer: a migration is never run, nor recorded as applied, from a partial text. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t n;
	enum wh_err result = WH_OK;
	bool failed;
	if(!f)
		return NULL;
	buf_init(&b, 0);
	while(!result && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		result = buf_add(&b, chunk, n);
	failed = result || ferror(f);
	fclose(f);
	if(failed) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static enum wh_err apply_one(struct db *db, const char *dir, const char *name, size_t *applied)
{
	static const char q_done[] = "SELECT version FROM schema_migrations WHERE version = ?";
	static const char q_record[] = "INSERT INTO schema_migrations (version, applied) VALUES (?, ?)";
	char path[4096];
	struct db_rows rows;
	enum wh_err result;
	char *sql;
	result = db_exec(db, q_done, DBP(db_str(name)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows) {
		db_rows_release(&rows);
		return WH_OK;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sql = read_file(path);
	if(!sql) {
		log_err("cannot read %s", path);
		return WH_ERR_IO;
	}
	result = db_run_script(db, sql);
	free(sql);
	if(result) {
		log_err("migration %s failed", name);
		return result;
	}
	result = db_exec(db, q_record, DBP(db_str(name), db_i64(time_now_ms())), NULL, NULL);
	if(!result) {
		log_info("applied migration %s", name);
		(*applied)++;
	}
	return result;
}

/* Takes the migration lock, so two migrate runs never apply the same file at once:
 * GET_LOCK answers 1 when taken, 0 after the timeout, NULL on an error. */
static enum wh_err migrate_lock(struct db *db)
{
	static const char q_lock[] = "SELECT GET_LOCK('linehook_migrate', 60)";
	struct db_rows rows;
	enum wh_err result = db_exec(db, q_lock, DBP_NONE, &rows, NULL);
	if(result)
		return result;
	if(!db_rows_get(&rows, 0, 0) || db_rows_i64(&rows, 0, 0) != 1) {
		log_err("another migrate run holds the migration lock (waited 60 s)");
		result = WH_ERR_DB;
	}
	db_rows_release(&rows);
	return result;
}

/* Releases the migration lock. A failure is only logged: the server releases a named lock
 * when its connection ends, which this process's exit does right after. */
static void migrate_unlock(struct db *db)
{
	static const char q_unlock[] = "SELECT RELEASE_LOCK('linehook_migrate')";
	struct db_rows rows;
	if(db_exec(db, q_unlock, DBP_NONE, &rows, NULL)) {
		log_warn("releasing the migration lock failed; it goes with the connection");
		return;
	}
	if(db_rows_i64(&rows, 0, 0) != 1)
		log_warn("the migration lock was not held at release");
	db_rows_release(&rows);
}

enum wh_err cli_migrate(struct app *app, size_t *applied)
{
	static const char q_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR(255) NOT NULL "
	                              "PRIMARY KEY, applied BIGINT NOT NULL) ENGINE=InnoDB";
	const char *dir = config_str(&app->cfg, CFG_SQL_DIR);
	size_t n = 0;
	char **names = list_migrations(dir, &n);
	enum wh_err result;
	if(!names) {
		log_err("no migrations found in %s", dir);
		return WH_ERR_IO;
	}
	result = db_run_script(app->db, q_table);
	if(!result)
		result = migrate_lock(app->db);
	if(result)
		goto out;
	*applied = 0;
	for(size_t i = 0; i < n && !result; i++)
		result = apply_one(app->db, dir, names[i], applied);
	migrate_unlock(app->db);
out:
	for(size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return result;
}

enum wh_err cli_create_account(struct app *app, const char *name)
{
	static const char sql[] = "INSERT INTO accounts (id, name, created) VALUES (?, ?, ?)";
	char id[ID_LEN + 1];
	enum wh_err result;
	if(!*name || strlen(name) > 200) {
		log_err("account name must be 1..200 bytes");
		return WH_ERR_INVALID;
	}
	id_new(id);
	result = db_exec(app->db, sql, DBP(db_str(id), db_str(name), db_i64(time_now_ms())), NULL, NULL);
	if(!result)
		printf("%s\n", id);
	return result;
}
