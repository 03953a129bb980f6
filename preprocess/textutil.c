/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* textutil.c - helpers shared by the text stages: the data folder. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

const char *text_data_dir(void)
{
	const char *d = getenv("NLPIPE_DATA_DIR");
	return d && *d ? d : NLP_DATA_DIR;
}
