/*
 * fcgi-hello.c -- the ceiling for the NGINX -> FastCGI hop. A bare libfcgi
 * responder that answers every request with the same body as /health and
 * does nothing else: no routing, no logging, no metrics. tests/bench/run.sh
 * runs four of them under spawn-fcgi (as many as the scholarship-api pool)
 * and compares /health and /health/ready with this rate.
 */
#include <fcgiapp.h>

int main(void)
{
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutS("Status: 200 OK\r\n"
		          "Content-Type: application/json\r\n"
		          "\r\n"
		          "{\"status\":\"ok\"}",
		          req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
