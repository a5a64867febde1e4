/* Several FastCGI processes on one inherited listening socket: what lighttpd's max-procs
 * does when it spawns the API, for when something else hands over the socket (systemd's
 * linehook-api.socket, spawn-fcgi with one process). */
#ifndef WH_PREFORK_H
#define WH_PREFORK_H

/* With n == 1 returns serve(ctx). Otherwise this process becomes a supervisor: it forks n
 * children that each return serve(ctx)'s value as their exit status (so each opens its own
 * database connection inside serve), starts a child again when one dies (a second later, so
 * a child that can't start does not spin), and on SIGTERM or SIGINT passes the signal on
 * and waits for every child. Returns 0 after a clean stop, 1 when a child had failed. */
int prefork_run(int n, int (*serve)(void *ctx), void *ctx);

#endif
