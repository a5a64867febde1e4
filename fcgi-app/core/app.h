/* The process-wide state of the API binary, shared by every handler. */
#ifndef WH_APP_H
#define WH_APP_H
#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "fcgi-app/core/answer_cache.h"
#include "fcgi-app/core/ratelimit.h"
#include "fcgi-app/core/ratelimit_shm.h"

struct app {
	struct config cfg;
	struct db *db;
	unsigned char master_key[CRYPTO_KEY_LEN];
	struct ratelimit_shared *shared_ratelimit; /* per account, every process of this host */
	struct ratelimit ratelimit;                /* this process only: when the shared table can't be had */
	struct answer_cache *answers;              /* kept GET answers; NULL outside the request loop */
};

#endif
