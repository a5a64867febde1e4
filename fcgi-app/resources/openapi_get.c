/* GET /v2/openapi.json */
#include <string.h>

#include "fcgi-app/resources/openapi_get.h"
#include "fcgi-app/core/openapi.h"

enum wh_err openapi_get(struct request *req)
{
	http_send_raw(req, 200, "application/json; charset=utf-8", openapi_json, strlen(openapi_json));
	return WH_OK;
}
