/* The audit log: one row per change to webhooks and API keys, written in the change's own
 * transaction, saying who (the acting key's id and name), when, from which address and
 * what. Never a secret: details hold field names, ids and times only. */
#ifndef WH_AUDIT_H
#define WH_AUDIT_H
#include <jansson.h>

#include "common/db.h"
#include "fcgi-app/core/http.h"

/* Actions recorded. */
#define AUDIT_WEBHOOK_CREATED "webhook.created"
#define AUDIT_WEBHOOK_UPDATED "webhook.updated"
#define AUDIT_WEBHOOK_DELETED "webhook.deleted"
#define AUDIT_WEBHOOK_ROTATED "webhook.secret_rotated"
#define AUDIT_WEBHOOK_TESTED "webhook.tested"
#define AUDIT_DELIVERY_RESENT "webhook.delivery_resent"
#define AUDIT_WEBHOOK_RECOVERED "webhook.recovered"
#define AUDIT_KEY_CREATED "api_key.created"
#define AUDIT_KEY_REVOKED "api_key.revoked"

/* Who did it: a key over the API (key_id, key_name, remote_addr) or the command line
 * (all NULL). */
struct audit_actor {
	const char *key_id, *key_name, *remote_addr;
};

/* Inserts one entry for account_id; details (borrowed, may be NULL) is stored as JSON. */
enum wh_err audit_insert(struct db *db, const char *account_id, const struct audit_actor *actor, const char *action,
                         const char *target_type, const char *target_id, const json_t *details);

/* audit_insert for the request's account, key and REMOTE_ADDR. */
enum wh_err audit_record(struct request *req, const char *action, const char *target_type, const char *target_id,
                         const json_t *details);

#endif
