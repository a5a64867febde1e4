/* /v2/location-status/{locationId}: the waitlist's counts, and opening or closing it. */
#include "fcgi-app/core/domain.h"
#include "fcgi-app/resources/location_status.h"
#include "fcgi-app/resources/locations.h"

struct status_tx {
	const char *id;
	bool open, has_open;
	json_t *answer; /* new: the status after the write */
};

enum wh_err location_status_get(struct request *req)
{
	json_t *status = NULL;
	enum wh_err result = location_status_load(req, req->params[0], &status);
	if(result)
		return result;
	http_send_json(req, 200, status);
	json_decref(status);
	return WH_OK;
}

static enum wh_err status_update_tx(struct request *req, void *ctx)
{
	struct status_tx *tx = ctx;
	enum wh_err result = WH_OK;
	json_decref(tx->answer);
	tx->answer = NULL;
	if(tx->has_open)
		result = location_set_waitlist_open(req, tx->id, tx->open);
	if(!result)
		result = location_status_load(req, tx->id, &tx->answer);
	return result;
}

enum wh_err location_status_update(struct request *req)
{
	static const char *const keys[] = {"isWaitlistOpen", NULL};
	struct status_tx tx = {.id = req->params[0]};
	json_t *body = NULL;
	enum wh_err result = domain_read_update(req, keys, &body);
	if(!result)
		result = jx_bool(body, "isWaitlistOpen", false, &tx.open, &tx.has_open, &req->err);
	if(!result)
		result = domain_tx(req, status_update_tx, &tx);
	if(!result)
		http_send_json(req, 200, tx.answer);
	json_decref(tx.answer);
	json_decref(body);
	return result;
}
