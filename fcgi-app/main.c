/* webhooks-api: the FastCGI request loop and the command-line entry point. */
#include <errno.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/version.h"
#include "fcgi-app/core/app.h"
#include "fcgi-app/core/auth.h"
#include "fcgi-app/cli.h"
#include "fcgi-app/cli_keys.h"
#include "fcgi-app/core/http.h"
#include "fcgi-app/core/outbox.h"
#include "fcgi-app/core/router.h"
#include "fcgi-app/prefork.h"
#include "fcgi-app/setup.h"

static volatile sig_atomic_t stopping;
/* A socket that accepts nothing (never listened on), put in the listener's place on a stop;
 * -1 until the accept loop starts. */
static int dead_listener = -1;

/* A stop request. The flag alone leaves a window: a signal that lands after the loop's last
 * look at it (libfcgi's own in OS_Accept included) and before accept() starts would be seen
 * only after one more connection, so an idle process would not stop. So the handler also
 * puts dead_listener in the listener's place (dup2 is async-signal-safe): an accept that
 * has not started yet fails at once, and one under way returns EINTR. It replaces this
 * process's descriptor only; the other processes sharing the listener keep accepting. */
static void on_term(int sig)
{
	int saved = errno;
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
	if(dead_listener >= 0)
		dup2(dead_listener, FCGI_LISTENSOCK_FILENO);
	errno = saved;
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term; /* no SA_RESTART: a blocked accept returns so we can exit */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static bool rate_ok(struct app *app, const char *account_id, int *retry_after_s)
{
	long long now = time_mono_ms();
	if(app->shared_ratelimit)
		return ratelimit_shared_take(app->shared_ratelimit, account_id, now, retry_after_s);
	return ratelimit_take(&app->ratelimit, account_id, now, retry_after_s);
}

/* The rate limit's buckets: the table shared by this host's processes when the limit is
 * on, this process's own table when the shared one can't be had. */
static void rate_setup(struct app *app)
{
	double rate = (double)config_int(&app->cfg, CFG_RATE_LIMIT_PER_SECOND);
	double burst = (double)config_int(&app->cfg, CFG_RATE_LIMIT_BURST);
	char name[RATELIMIT_SHM_NAME_LEN];
	ratelimit_init(&app->ratelimit, rate, burst);
	if(rate <= 0)
		return;
	ratelimit_shared_name(&app->cfg, name);
	app->shared_ratelimit = ratelimit_shared_open(name, rate, burst);
}

static void handle(struct app *app, FCGX_Request *fcgi)
{
	struct request req;
	const struct route *route = NULL;
	enum wh_err result = http_request_init(&req, fcgi, app);
	if(result)
		goto out;
	result = router_match(routes, &req, &route);
	if(result)
		goto out;
	if(!route->public) {
		result = auth_request(&req);
		if(result)
			goto out;
		if(!rate_ok(app, req.account_id, &req.retry_after_s)) {
			jx_fail(&req.err, NULL, "too many requests for this account; retry in %d s", req.retry_after_s);
			result = WH_ERR_RATE;
			goto out;
		}
	}
	outbox_fault_set(&app->cfg, http_param(&req, "HTTP_X_LINEHOOK_FAULT"));
	result = route->handler(&req);
	outbox_fault_set(&app->cfg, NULL);
	if(!result && !req.answered) {
		log_err("%s %s: handler answered nothing", req.method, req.path);
		result = WH_ERR_INTERNAL;
	}
out:
	if(db_in_tx(app->db)) {
		log_err("%s %s: transaction left open, rolled back", req.method, req.path);
		db_rollback(app->db);
	}
	if(result)
		http_send_error(&req, result);
	log_debug("%s %s %d", req.method, req.path, req.status);
	http_request_release(&req);
}

static int serve(struct app *app)
{
	FCGX_Request fcgi;
	if(FCGX_Init()) {
		log_err("FCGX_Init failed");
		return 1;
	}
	dead_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if(dead_listener < 0)
		log_warn("no spare socket (%s): a stop signal just before accept waits for one more connection",
		         strerror(errno));
	FCGX_InitRequest(&fcgi, FCGI_LISTENSOCK_FILENO, FCGI_FAIL_ACCEPT_ON_INTR);
	log_info("serving FastCGI requests");
	while(!stopping && FCGX_Accept_r(&fcgi) >= 0) {
		handle(app, &fcgi);
		FCGX_Finish_r(&fcgi);
	}
	FCGX_Free(&fcgi, 1);
	log_info("stopping");
	return 0;
}

static void print_line(const char *line, void *ctx)
{
	(void)ctx;
	printf("%s\n", line);
}

static const char *prog = "webhooks-api";

static void usage(FILE *to)
{
	const char *def = config_default_path();
	fprintf(to,
	        "usage: %s [--config FILE] [COMMAND]\n"
	        "Without a command it serves FastCGI requests on the socket given as stdin.\n"
	        "The config file is FILE, else %s; WH_<KEY> variables override its keys.\n"
	        "Commands:\n"
	        "  setup [--socket PATH] [--owner USER]\n"
	        "                       as root: create the database and its user (password generated\n"
	        "                       into the config file), apply the migrations, create the master\n"
	        "                       key (given to USER, default linehook); PATH is MariaDB's socket\n"
	        "                       for root (default: db_socket, else " SETUP_DEFAULT_SOCKET ")\n"
	        "  migrate              apply the migrations of sql_dir not applied yet\n"
	        "  create-account NAME  create an account, print its id\n"
	        "  create-key ACCOUNT_ID [NAME [EXPIRES_AT]]\n"
	        "                       create an API key, print it (shown only this once)\n"
	        "  list-keys ACCOUNT_ID the account's keys (never the keys themselves)\n"
	        "  revoke-key KEY_ID    revoke a key (not the account's last one)\n"
	        "  print-config [--show-secrets]\n"
	        "                       print the effective configuration; secrets are masked unless\n"
	        "                       --show-secrets\n"
	        "  --help, --version    this text, the version (no database needed)\n",
	        prog, def ? def : "built-in defaults only");
}

/* A command's arguments, its name first; config_path may be NULL. */
struct command_args {
	const char *config_path;
	int argc;
	char **argv;
};

static enum wh_err cmd_migrate(struct app *app, const struct command_args *a)
{
	size_t applied;
	(void)a;
	return cli_migrate(app, &applied);
}

static enum wh_err cmd_create_account(struct app *app, const struct command_args *a)
{
	return cli_create_account(app, a->argv[1]);
}

static enum wh_err cmd_create_key(struct app *app, const struct command_args *a)
{
	return cli_create_key(app, a->argv[1], a->argc > 2 ? a->argv[2] : NULL, a->argc > 3 ? a->argv[3] : NULL);
}

static enum wh_err cmd_list_keys(struct app *app, const struct command_args *a)
{
	return cli_list_keys(app, a->argv[1]);
}

static enum wh_err cmd_revoke_key(struct app *app, const struct command_args *a)
{
	return cli_revoke_key(app, a->argv[1]);
}

static enum wh_err cmd_print_config(struct app *app, const struct command_args *a)
{
	bool show = a->argc == 2;
	if(show && strcmp(a->argv[1], "--show-secrets"))
		return WH_ERR_INVALID;
	config_dump(&app->cfg, show, print_line, NULL);
	return WH_OK;
}

static enum wh_err cmd_setup(struct app *app, const struct command_args *a)
{
	struct setup_opts opts = {a->config_path, NULL, "linehook"};
	for(int i = 1; i < a->argc; i += 2) {
		if(i + 1 < a->argc && !strcmp(a->argv[i], "--socket"))
			opts.socket = a->argv[i + 1];
		else if(i + 1 < a->argc && !strcmp(a->argv[i], "--owner"))
			opts.owner = a->argv[i + 1];
		else
			return WH_ERR_INVALID;
	}
	if(!opts.config_path) {
		log_err("setup writes the database password into the config file: give it with --config FILE");
		return WH_ERR_CONFIG;
	}
	return setup_run(app, &opts);
}

/* The commands. An offline one runs with the config only (no master key, no database);
 * the others get both. WH_ERR_INVALID from a command means bad arguments: usage. */
static const struct command {
	const char *name;
	int min_args, max_args; /* after the name */
	bool offline;
	enum wh_err (*run)(struct app *app, const struct command_args *a);
} commands[] = {
    {"migrate", 0, 0, false, cmd_migrate},
    {"create-account", 1, 1, false, cmd_create_account},
    {"create-key", 1, 3, false, cmd_create_key},
    {"list-keys", 1, 1, false, cmd_list_keys},
    {"revoke-key", 1, 1, false, cmd_revoke_key},
    {"print-config", 0, 1, true, cmd_print_config},
    {"setup", 0, 4, true, cmd_setup},
};

static const struct command *find_command(int argc, char **argv)
{
	for(size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if(!strcmp(argv[0], commands[i].name) && argc - 1 >= commands[i].min_args &&
		   argc - 1 <= commands[i].max_args)
			return &commands[i];
	return NULL;
}

static int exit_status(enum wh_err result)
{
	if(result == WH_ERR_INVALID)
		usage(stderr);
	if(result == WH_ERR_DB_DOWN)
		log_err("database unreachable");
	return result == WH_ERR_INVALID || result == WH_ERR_CONFIG ? 2 : result ? 1 : 0;
}

/* The handle is kept even when the database is down: requests answer 503 and reconnect. */
static enum wh_err open_db(struct app *app)
{
	enum wh_err result = db_open(&app->db, &app->cfg);
	install_signals();
	return result;
}

/* One FastCGI process: its own database connection and rate-limit handle, then the accept
 * loop. */
static int serve_process(void *ctx)
{
	struct app *app = ctx;
	int rc;
	open_db(app);
	rate_setup(app);
	app->answers = answer_cache_open(config_int(&app->cfg, CFG_READ_CACHE_MS));
	rc = serve(app);
	/* a prefork child leaves by _exit: the last process of the host to close the shared
	 * rate table removes it */
	ratelimit_shared_close(app->shared_ratelimit);
	app->shared_ratelimit = NULL;
	return rc;
}

/* Loads the master key; for a command also opens the database, which it needs up. */
static int open_online(struct app *app, bool serving)
{
	char err[1024];
	if(crypto_master_key_load(config_str(&app->cfg, CFG_MASTER_KEY_FILE), app->master_key, err, sizeof(err))) {
		log_err("%s", err);
		return 2;
	}
	if(serving)
		return 0;
	if(open_db(app)) {
		log_err("database unreachable");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct app app;
	char err[1024];
	struct command_args args = {config_default_path(), 0, NULL};
	const struct command *cmd = NULL;
	const char *slash = strrchr(argv[0], '/');
	int argi = 1, rc;

	memset(&app, 0, sizeof(app));
	prog = slash ? slash + 1 : argv[0];
	if(argc > 1 && !strcmp(argv[1], "--config")) {
		if(argc < 3) {
			usage(stderr);
			return 2;
		}
		args.config_path = argv[2];
		argi = 3;
	}
	if(argi < argc && (!strcmp(argv[argi], "--help") || !strcmp(argv[argi], "-h") || !strcmp(argv[argi], "help"))) {
		usage(stdout);
		return 0;
	}
	if(argi < argc && !strcmp(argv[argi], "--version")) {
		printf("%s %s\n", prog, LINEHOOK_VERSION);
		return 0;
	}
	args.argc = argc - argi;
	args.argv = argv + argi;
	if(args.argc && !(cmd = find_command(args.argc, args.argv))) {
		usage(stderr);
		return 2;
	}
	log_setup(prog, LOG_LEVEL_INFO);
	if(config_load(&app.cfg, args.config_path, err, sizeof(err))) {
		log_err("%s", err);
		return 2;
	}
	log_setup(prog, (enum log_level)config_int(&app.cfg, CFG_LOG_LEVEL));
	rc = cmd && cmd->offline ? 0 : open_online(&app, !cmd);
	if(!rc)
		rc = cmd ? exit_status(cmd->run(&app, &args))
		         : prefork_run((int)config_int(&app.cfg, CFG_FCGI_PROCESSES), serve_process, &app);
	ratelimit_shared_close(app.shared_ratelimit);
	answer_cache_free(app.answers);
	db_free(app.db);
	config_release(&app.cfg);
	OPENSSL_cleanse(app.master_key, sizeof(app.master_key));
	return rc;
}
