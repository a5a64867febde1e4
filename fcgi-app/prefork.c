/* A supervisor of n FastCGI processes that share the listening socket on stdin. */
#include "fcgi-app/prefork.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"

static volatile sig_atomic_t supervisor_stopping;

static void on_stop(int sig)
{
	(void)sig;
	supervisor_stopping = 1;
}

/* Forks one child running serve; returns its pid, or -1 when fork failed. */
static pid_t spawn(int (*serve)(void *ctx), void *ctx)
{
	pid_t pid = fork();
	if(pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		_exit(serve(ctx));
	}
	if(pid < 0)
		log_err("fork: %s", strerror(errno));
	return pid;
}

static void signal_all(const pid_t *pids, int n, int sig)
{
	for(int i = 0; i < n; i++)
		if(pids[i] > 0)
			kill(pids[i], sig);
}

/* Reaps one child (blocking until one exits or a signal arrives); returns its slot or -1. */
static int reap(pid_t *pids, int n, bool *failed)
{
	int status;
	pid_t pid = waitpid(-1, &status, 0);
	if(pid < 0)
		return -1;
	for(int i = 0; i < n; i++) {
		if(pids[i] != pid)
			continue;
		pids[i] = 0;
		if(!WIFEXITED(status) || WEXITSTATUS(status)) {
			*failed = true;
			if(!supervisor_stopping)
				log_warn("FastCGI process %d ended (status %d); starting another", (int)pid, status);
		}
		return i;
	}
	return -1;
}

int prefork_run(int n, int (*serve)(void *ctx), void *ctx)
{
	struct sigaction sa;
	pid_t *pids;
	bool failed = false;
	int alive = 0;
	if(n <= 1)
		return serve(ctx);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: waitpid returns so the stop is seen */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pids = xcalloc((size_t)n, sizeof(*pids));
	log_info("starting %d FastCGI processes", n);
	for(int i = 0; i < n && !supervisor_stopping; i++)
		alive += (pids[i] = spawn(serve, ctx)) > 0;
	failed = alive < n;
	while(alive > 0) {
		int slot;
		if(supervisor_stopping)
			signal_all(pids, n, SIGTERM);
		slot = reap(pids, n, &failed);
		if(slot < 0)
			continue;
		alive--;
		if(!supervisor_stopping) {
			sleep(1);
			alive += (pids[slot] = spawn(serve, ctx)) > 0;
		}
	}
	free(pids);
	log_info("all FastCGI processes stopped");
	return failed && !supervisor_stopping ? 1 : 0;
}
