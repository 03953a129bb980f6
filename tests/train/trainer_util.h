/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* trainer_util.h - what the training API's tests share: one run of a
 * trainer, and a byte comparison of two files. */
#ifndef NLP_TESTS_TRAINER_UTIL_H
#define NLP_TESTS_TRAINER_UTIL_H

#include <stddef.h>

#include "nlpipe/trainer.h"

/* One run: a host, a trainer for ini (NULL: o->resume's) and o, nlp_train
 * with fn and user.  When ckpt is not NULL it gets the trainer's checkpoint
 * path.  Returns nlp_train's code (or the first failing constructor's); an
 * error other than NLP_TRAIN_STOPPED is printed as a TAP comment. */
int tu_train(const char *ini, const nlp_trainer_opts *o, nlp_train_fn fn, void *user, char *ckpt,
             size_t ckpt_size);

/* 1 when files a and b both open and have the same bytes, else 0. */
int tu_same_file(const char *a, const char *b);

#endif
