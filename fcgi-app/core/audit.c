/* Audit log entries, written beside the change they record. */
#include "fcgi-app/core/audit.h"

#include <stdlib.h>

enum wh_err audit_insert(struct db *db, const char *account_id, const struct audit_actor *actor, const char *action,
                         const char *target_type, const char *target_id, const json_t *details)
{
	static const char sql[] =
	    "INSERT INTO audit_log (id, account_id, created, action, target_type, target_id, "
	    "details, actor_key_id, actor_key_name, remote_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	char id[ID_LEN + 1];
	char *text = details ? jx_dumps(details) : NULL;
	enum wh_err result;
	id_new(id);
	result = db_exec(db, sql,
	                 DBP(db_str(id), db_str(account_id), db_i64(time_now_ms()), db_str(action), db_str(target_type),
	                     db_str(target_id), db_str(text), db_str(actor->key_id), db_str(actor->key_name),
	                     db_str(actor->remote_addr)),
	                 NULL, NULL);
	free(text);
	return result;
}

enum wh_err audit_record(struct request *req, const char *action, const char *target_type, const char *target_id,
                         const json_t *details)
{
	struct audit_actor actor = {req->key_id, req->key_name, http_param(req, "REMOTE_ADDR")};
	return audit_insert(req->app->db, req->account_id, &actor, action, target_type, target_id, details);
}
