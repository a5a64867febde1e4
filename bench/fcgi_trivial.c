/* bench-fcgi: the trivial FastCGI responder, the API benchmark's baseline. It reads and
 * discards the request body and answers a fixed small JSON object, so a request through
 * lighttpd costs only the server, the FastCGI protocol and libfcgi: the limit any handler
 * of the real API can approach. lighttpd spawns it exactly like webhooks-api. */
#include <fcgiapp.h>
#include <stdio.h>

static void fcgi_drain(FCGX_Request *req)
{
	char buf[4096];

	while(FCGX_GetStr(buf, (int)sizeof(buf), req->in) > 0)
		;
}

int main(void)
{
	FCGX_Request req;
	static const char answer[] = "Status: 200 OK\r\n"
	                             "Content-Type: application/json; charset=utf-8\r\n"
	                             "\r\n"
	                             "{\"status\":\"ok\"}";

	if(FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fprintf(stderr, "bench-fcgi: FastCGI init failed\n");
		return 1;
	}
	while(FCGX_Accept_r(&req) >= 0) {
		fcgi_drain(&req);
		FCGX_PutStr(answer, (int)(sizeof(answer) - 1), req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
