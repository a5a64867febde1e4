/* delivery-worker: connects to the database and waits for outbox work. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/db.h"
#include "common/log.h"

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct db *db = NULL;
	char err[1024];
	const char *config_path = NULL;
	struct sigaction sa;

	if(argc == 3 && !strcmp(argv[1], "--config"))
		config_path = argv[2];
	else if(argc != 1) {
		fprintf(stderr, "usage: delivery-worker [--config FILE]\n");
		return 2;
	}
	log_setup("delivery-worker", LOG_LEVEL_INFO);
	if(config_load(&cfg, config_path, err, sizeof(err))) {
		log_err("%s", err);
		return 2;
	}
	log_setup("delivery-worker", (enum log_level)log_level_parse(config_str(&cfg, CFG_LOG_LEVEL)));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if(db_open(&db, &cfg))
		log_warn("database unreachable; retrying");
	log_info("worker started");
	while(!stopping) {
		struct timespec ts = {0, (long)config_int(&cfg, CFG_WORKER_POLL_MS) * 1000000L};
		if(db_ping(db))
			ts.tv_sec = 1;
		nanosleep(&ts, NULL);
	}
	log_info("worker stopping");
	db_free(db);
	config_release(&cfg);
	return 0;
}
