/*
 * presign.c -- prints lib/s3sign.c's presigned URL for the inputs on its
 * command line, so that tests/s3/presign.test.mjs can compare it with
 * @smithy/signature-v4's presign for the same request and time. Built by
 * that test against BINDIR's libscholarship.a; not part of the programs.
 *
 * usage: presign METHOD SCHEME HOST PATH REGION ACCESS SECRET UNIXTIME
 *        EXPIRES [DISPOSITION [CONTENT_TYPE]]
 */
#include <stdio.h>
#include <stdlib.h>

#include "s3sign.h"

int main(int argc, char **argv)
{
	struct s3sign_input in;
	char url[16384];

	if (argc < 10 || argc > 12) {
		fprintf(stderr, "usage: presign METHOD SCHEME HOST PATH REGION ACCESS SECRET "
		                "UNIXTIME EXPIRES [DISPOSITION [CONTENT_TYPE]]\n");
		return 2;
	}
	in = (struct s3sign_input){
	    .method = argv[1],
	    .scheme = argv[2],
	    .host = argv[3],
	    .path = argv[4],
	    .region = argv[5],
	    .access_key = argv[6],
	    .secret_key = argv[7],
	    .when = (time_t)strtoll(argv[8], NULL, 10),
	    .expires = strtol(argv[9], NULL, 10),
	    .disposition = argc > 10 ? argv[10] : NULL,
	    .content_type = argc > 11 ? argv[11] : NULL,
	};
	if (s3sign_presign(&in, url, sizeof(url)) < 0) {
		fprintf(stderr, "presign: invalid input\n");
		return 1;
	}
	puts(url);
	return 0;
}
