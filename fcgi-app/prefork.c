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

/* SIGTERM and SIGINT ask for the stop; SIGCHLD only ends the wait (sigsuspend). */
static void on_signal(int sig)
{
	if(sig != SIGCHLD)
		supervisor_stopping = 1;
}

/* Forks one child running serve with the signal handling it was started with (wanted:
 * the mask before the supervisor's, restored); returns its pid, or -1 when fork failed. */
static pid_t spawn(int (*serve)(void *ctx), void *ctx, const sigset_t *wanted)
{
	pid_t pid = fork();
	if(pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, wanted, NULL);
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

/* Reaps one child that has ended, without waiting: its slot, -1 when none has ended, -2 for
 * a child not in pids. */
static int reap(pid_t *pids, int n, bool *failed)
{
	int status;
	pid_t pid = waitpid(-1, &status, WNOHANG);
	if(pid <= 0)
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
	return -2;
}

/* The supervisor's signals stay blocked but while it waits in sigsuspend, which unblocks
 * them atomically: a stop request that lands between the look at supervisor_stopping and
 * the wait ends the wait at once instead of being seen only when a child ends. */
int prefork_run(int n, int (*serve)(void *ctx), void *ctx)
{
	struct sigaction sa;
	sigset_t mine, before, waiting;
	pid_t *pids;
	bool failed = false;
	int alive = 0;
	if(n <= 1)
		return serve(ctx);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&mine);
	sigaddset(&mine, SIGTERM);
	sigaddset(&mine, SIGINT);
	sigaddset(&mine, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mine, &before);
	waiting = before;
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGINT);
	sigdelset(&waiting, SIGCHLD);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	pids = xcalloc((size_t)n, sizeof(*pids));
	log_info("starting %d FastCGI processes", n);
	for(int i = 0; i < n && !supervisor_stopping; i++)
		alive += (pids[i] = spawn(serve, ctx, &before)) > 0;
	failed = alive < n;
	while(alive > 0) {
		int slot;
		if(supervisor_stopping)
			signal_all(pids, n, SIGTERM);
		slot = reap(pids, n, &failed);
		if(slot == -1)
			sigsuspend(&waiting); /* returns after a handler ran: a stop or a child's end */
		if(slot < 0)
			continue;
		alive--;
		if(!supervisor_stopping) {
			sigprocmask(SIG_SETMASK, &waiting, NULL); /* a stop cuts the pause short */
			sleep(1);
			sigprocmask(SIG_BLOCK, &mine, NULL);
		}
		if(!supervisor_stopping)
			alive += (pids[slot] = spawn(serve, ctx, &before)) > 0;
	}
	sigprocmask(SIG_SETMASK, &before, NULL);
	free(pids);
	log_info("all FastCGI processes stopped");
	return failed && !supervisor_stopping ? 1 : 0;
}
