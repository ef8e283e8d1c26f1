/* openapi.S -- embeds app/openapi.json into scholarship-api, so the
 * document served at /api/v1/openapi.json is the one in the repository. */
	.section .rodata
	.global api_openapi_json
	.global api_openapi_json_end
api_openapi_json:
	.incbin "app/openapi.json"
api_openapi_json_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
