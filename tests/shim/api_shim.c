/* A test shim preloaded into an API process (LD_PRELOAD) by the e2e suites, to put it in
 * situations a healthy machine does not produce on demand. Nothing of the product links it.
 *
 * LINEHOOK_SHIM_CLOCK_OFFSET_MS=N   the process's wall clock (CLOCK_REALTIME) runs N ms off
 *                                   (negative: behind), as on a web host whose clock is wrong
 * LINEHOOK_SHIM_TERM_BEFORE_ACCEPT=PATH
 *                                   when PATH exists, accept() first sends the process SIGTERM
 *                                   and then accepts: the signal lands after every check the
 *                                   accept loop makes and before the accept call itself */
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	const char *off = getenv("LINEHOOK_SHIM_CLOCK_OFFSET_MS");
	long long ns;
	int rc;
	if(!real)
		*(void **)&real = dlsym(RTLD_NEXT, "clock_gettime"); /* POSIX's way to a function */
	rc = real(clk, ts);
	if(rc || clk != CLOCK_REALTIME || !off)
		return rc;
	ns = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + strtoll(off, NULL, 10) * 1000000LL;
	ts->tv_sec = (time_t)(ns / 1000000000LL);
	ts->tv_nsec = (long)(ns % 1000000000LL);
	return 0;
}

int accept(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
	static int (*real)(int, __SOCKADDR_ARG, socklen_t *__restrict);
	const char *trigger = getenv("LINEHOOK_SHIM_TERM_BEFORE_ACCEPT");
	if(!real)
		*(void **)&real = dlsym(RTLD_NEXT, "accept");
	if(trigger && access(trigger, F_OK) == 0)
		kill(getpid(), SIGTERM);
	return real(fd, addr, len);
}
