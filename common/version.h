/* The product version: in --version, the worker's User-Agent and heartbeat, and the Debian
 * package (debian/changelog must carry the same; `make deb` checks it). */
#ifndef WH_VERSION_H
#define WH_VERSION_H

#define LINEHOOK_VERSION "0.1.0"

#endif
