/* The db_hosts setting: the MariaDB nodes a process may use, in order of preference
 * (a Galera cluster's nodes). A comma-separated list of entries, each "host:port",
 * "[ipv6]:port" or the absolute path of a Unix socket ("/run/mysqld/mysqld.sock").
 *
 *   struct db_hosts hosts;
 *   if(db_hosts_parse("127.0.0.1:3306, /run/n2.sock", &hosts, err, sizeof(err))) ...
 *   hosts.v[1].socket   // "/run/n2.sock"; host NULL
 *   db_hosts_release(&hosts);
 */
#ifndef WH_DBHOSTS_H
#define WH_DBHOSTS_H
#include <stddef.h>

#include "common/err.h"

#define DB_HOSTS_MAX 16

struct db_host {
	char *host; /* TCP: name or address (without brackets); NULL for a socket */
	unsigned port;
	char *socket; /* socket path; NULL for TCP */
};

struct db_hosts {
	struct db_host *v;
	size_t n;
};

/* Parses spec ("" gives an empty list) into *out (new; release with db_hosts_release).
 * WH_ERR_CONFIG with a message naming the bad entry in err; *out is then empty. */
enum wh_err db_hosts_parse(const char *spec, struct db_hosts *out, char *err, size_t errlen);
void db_hosts_release(struct db_hosts *hosts);

#endif
