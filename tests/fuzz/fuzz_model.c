/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* fuzz_model.c - fuzz target: the bytes as a model file, loaded with the
 * build's modules (nlp_model_load: container, decoder, pipeline, each
 * trainable stage's state and parameters).  The harness first makes the
 * container right (magic, header size, version 1, section count, total
 * size, every CRC; a last section that runs past the end is cut to fit), so
 * that inputs get past the checksums to the decoder: damaged containers are
 * tested in tests/format/.  A failure must come with a message. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nlpipe/model.h"
#include "tests/fuzz/fuzz.h"

#define HEAD NLP_MODEL_HEADER_SIZE
#define SEC  16u

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t crc(const unsigned char *p, size_t n)
{
	return (uint32_t)crc32_z(0, p, n);
}

/* Make d[0..*n) a well-formed container; *n may shrink. */
static void repair(unsigned char *d, size_t *n)
{
	static const unsigned char magic[8] = {0x89, 'N', 'L', 'P', '\r', '\n', 0x1a, '\n'};
	size_t pos = HEAD;
	uint32_t count = 0;

	memcpy(d, magic, sizeof magic);
	put32(d + 8, HEAD);
	put32(d + 12, NLP_MODEL_FORMAT_VERSION);
	while (pos + SEC + 4 <= *n) {
		uint64_t len = get64(d + pos + 8);
		if (len > *n - pos - SEC - 4) {
			len = *n - pos - SEC - 4;
			put64(d + pos + 8, len);
		}
		put32(d + pos + SEC + len, crc(d + pos, SEC + (size_t)len));
		pos += SEC + (size_t)len + 4;
		count++;
	}
	*n = pos;
	put32(d + 20, count);
	put64(d + 24, pos);
	put32(d + HEAD - 4, crc(d, HEAD - 4));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nlp_host *h = fuzz_host(0);
	nlp_model *m = NULL;
	nlp_err err = {0};
	unsigned char *d;
	size_t n = size;
	int rc;

	if (size < HEAD || !(d = malloc(size)))
		return 0;
	memcpy(d, data, size);
	repair(d, &n);
	rc = nlp_model_load(&m, fuzz_file(d, n), h, &err);
	if (rc && !err.msg[0])
		fuzz_fail("nlp_model_load failed (%d) without a message", rc);
	if (rc && m)
		fuzz_fail("nlp_model_load failed but left a model");
	if (!rc && (!m || !m->pipeline || m->n_labels == 0))
		fuzz_fail("nlp_model_load succeeded without a pipeline or labels");
	nlp_model_free(m);
	free(d);
	return 0;
}
