/*
 * document_file.h -- the pure parts of handling an uploaded file (DESIGN
 * §8 "Documents"): its type from its first bytes, the name shown for it,
 * and the Content-Disposition it is downloaded with. No I/O.
 */
#ifndef SCH_DOCUMENT_FILE_H
#define SCH_DOCUMENT_FILE_H

#include <stddef.h>

struct arena;

/* Bytes of the head docfile_type() needs at most. */
#define DOCFILE_HEAD 8

/* "application/pdf", "image/png" or "image/jpeg" by magic bytes, or NULL. */
const char *docfile_type(const unsigned char *head, size_t n);

/*
 * The display name of a client's filename: what follows the last '/' or
 * '\', without control characters (C0, DEL, C1) and invalid UTF-8,
 * trimmed, at most 255 bytes cut at a character boundary; "document"
 * when nothing is left. Arena memory; NULL when out of memory.
 */
char *docfile_display_name(struct arena *a, const char *raw);

/*
 * Content-Disposition for an attachment named name (RFC 6266): an ASCII
 * filename="..." fallback (non-ASCII, quotes and backslashes as '_') and
 * filename*=UTF-8''<percent-encoded>. Arena memory; NULL when out of
 * memory.
 */
char *docfile_disposition(struct arena *a, const char *name);

#endif
