/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* spill.h - a write-once store of bytes for the training data (internal to
 * libnlpipe): appended to while the data is read, kept in memory up to a
 * limit and beyond it in a temporary file (created with mkstemp, unlinked at
 * once, so nothing is left behind on any exit), then sealed: read through a
 * memory mapping, or copied out with nlp_spill_read (pread: the pages stay
 * out of the process's resident memory). */
#ifndef NLP_SPILL_H
#define NLP_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "nlpipe/nlpipe.h"

typedef struct nlp_spill nlp_spill;

/* A new, empty store with one reference; its file (when limit is
 * exceeded) goes into the folder dir. */
int nlp_spill_new(nlp_spill **out, const char *dir, size_t limit, nlp_err *err);
/* Another reference to s (nlp_spill_free drops one). */
nlp_spill *nlp_spill_ref(nlp_spill *s);
/* Drop a reference; the last one frees s and closes its file.  NULL: nothing. */
void nlp_spill_free(nlp_spill *s);
/* Append n bytes (before nlp_spill_seal), then zeros up to a multiple of 4
 * bytes; *at (may be NULL) is where they start.  A failing write (a full
 * disk) is NLP_EIO naming the folder and the system's reason. */
int nlp_spill_write(nlp_spill *s, const void *p, size_t n, uint64_t *at, nlp_err *err);
/* No more writes: map the file (read only). */
int nlp_spill_seal(nlp_spill *s, nlp_err *err);
/* After nlp_spill_seal: where byte 0 is (in memory or the mapping). */
const char *nlp_spill_base(const nlp_spill *s);
/* Whether the bytes are in a file (else in memory). */
int nlp_spill_in_file(const nlp_spill *s);
/* After nlp_spill_seal: copy n bytes from offset at into dst, reading the
 * file rather than the mapping. */
int nlp_spill_read(const nlp_spill *s, uint64_t at, void *dst, size_t n, nlp_err *err);
/* Let go of the mapping's resident pages (they come back, from the page
 * cache, when read again): resident memory stays flat while a pass reads
 * the whole store.  Nothing for a store in memory. */
void nlp_spill_trim(nlp_spill *s);

#endif /* NLP_SPILL_H */
