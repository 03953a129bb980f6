/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* fuzz_ini.c - fuzz target: the bytes as a pipeline file, through the INI
 * parser and the whole pipeline check (nlp_pipeline_new) with the build's
 * modules and the test module tests/host/good.  Inputs that name files or
 * folders (plugin_path, any value holding '/') are read but not built: the
 * fuzzer must not load modules or read files from the machine.  A failure
 * must come with a message. */
#include "config.h"

#include <string.h>

#include "nlpipe/nlpipe.h"
#include "tests/fuzz/fuzz.h"

/* 1 when nothing in ini points outside the scratch folder. */
static int self_contained(const nlp_ini *ini)
{
	for (size_t s = 0; s < nlp_ini_section_count(ini); s++) {
		const char *sec = nlp_ini_section(ini, s, NULL);
		for (size_t k = 0; k < nlp_ini_key_count(ini, sec); k++) {
			const char *value = NULL;
			const char *key = nlp_ini_key(ini, sec, k, &value, NULL);
			if (strcmp(key, "plugin_path") == 0 || (value && strchr(value, '/')))
				return 0;
		}
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nlp_host *h = fuzz_host(1);
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_err err = {0};
	int rc;

	rc = nlp_ini_parse(&ini, "fuzz.ini", (const char *)data, size, &err);
	if (rc && !err.msg[0])
		fuzz_fail("nlp_ini_parse failed (%d) without a message", rc);
	if (rc || !self_contained(ini))
		goto out;
	memset(&err, 0, sizeof err);
	rc = nlp_pipeline_new(&p, h, ini, &err);
	if (rc && !err.msg[0])
		fuzz_fail("nlp_pipeline_new failed (%d) without a message", rc);
	if (!rc && nlp_pipeline_stage_count(p) == 0)
		fuzz_fail("a pipeline without stages was accepted");
out:
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	return 0;
}
