/* webhooks-api: the FastCGI request loop and the command-line entry point. */
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "fcgi-app/core/app.h"
#include "fcgi-app/core/auth.h"
#include "fcgi-app/cli.h"
#include "fcgi-app/cli_keys.h"
#include "fcgi-app/core/http.h"
#include "fcgi-app/core/outbox.h"
#include "fcgi-app/core/router.h"

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
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
	FCGX_InitRequest(&fcgi, 0, FCGI_FAIL_ACCEPT_ON_INTR);
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

static void usage(void)
{
	fprintf(stderr, "usage: webhooks-api [--config FILE] [migrate | create-account NAME | print-config |\n"
	                "       create-key ACCOUNT_ID [NAME [EXPIRES_AT]] | list-keys ACCOUNT_ID | revoke-key KEY_ID]\n"
	                "Without a command it serves FastCGI requests on the socket given as stdin.\n"
	                "print-config prints the effective configuration (file, then WH_<KEY> overrides).\n");
}

static int run_command(struct app *app, int argc, char **argv)
{
	enum wh_err result;
	if(!strcmp(argv[0], "migrate") && argc == 1)
		result = cli_migrate(app);
	else if(!strcmp(argv[0], "create-account") && argc == 2)
		result = cli_create_account(app, argv[1]);
	else if(!strcmp(argv[0], "create-key") && argc >= 2 && argc <= 4)
		result = cli_create_key(app, argv[1], argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL);
	else if(!strcmp(argv[0], "list-keys") && argc == 2)
		result = cli_list_keys(app, argv[1]);
	else if(!strcmp(argv[0], "revoke-key") && argc == 2)
		result = cli_revoke_key(app, argv[1]);
	else {
		usage();
		return 2;
	}
	if(result == WH_ERR_DB_DOWN)
		log_err("database unreachable");
	return result ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct app app;
	char err[1024];
	const char *config_path = NULL;
	int argi = 1, rc;
	enum wh_err result;

	memset(&app, 0, sizeof(app));
	if(argc > 2 && !strcmp(argv[1], "--config")) {
		config_path = argv[2];
		argi = 3;
	} else if(argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage();
		return 0;
	}
	log_setup("webhooks-api", LOG_LEVEL_INFO);
	if(config_load(&app.cfg, config_path, err, sizeof(err))) {
		log_err("%s", err);
		return 2;
	}
	log_setup("webhooks-api", (enum log_level)log_level_parse(config_str(&app.cfg, CFG_LOG_LEVEL)));
	if(argi < argc && !strcmp(argv[argi], "print-config")) {
		config_dump(&app.cfg, print_line, NULL);
		config_release(&app.cfg);
		return 0;
	}
	if(crypto_master_key_load(config_str(&app.cfg, CFG_MASTER_KEY_FILE), app.master_key, err, sizeof(err))) {
		log_err("%s", err);
		config_release(&app.cfg);
		return 2;
	}
	result = db_open(&app.db, &app.cfg);
	if(result && argi < argc) {
		log_err("database unreachable");
		rc = 1;
		goto out;
	}
	install_signals();
	if(argi < argc)
		rc = run_command(&app, argc - argi, argv + argi);
	else {
		rate_setup(&app);
		rc = serve(&app);
	}
out:
	ratelimit_shared_close(app.shared_ratelimit);
	db_free(app.db);
	config_release(&app.cfg);
	OPENSSL_cleanse(app.master_key, sizeof(app.master_key));
	return rc;
}
