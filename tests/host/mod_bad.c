/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* mod_bad.c - test modules the host must refuse, one per -DBAD_* flag:
 * BAD_ABI_MAJOR, BAD_ABI_MINOR (newer than the host), BAD_NO_DESCRIPTOR,
 * BAD_DUPLICATE (registers t_split, taken by module good), BAD_NAME (the
 * descriptor names another module), BAD_INIT (init fails), BAD_DESC_SMALL
 * and BAD_DESC_LARGE (the descriptor's struct_size is an ABI 1.0 one, or
 * larger than the host knows), BAD_DESC_RESERVED (a reserved field set),
 * BAD_TRAIN_SIZE (a class whose nlp_train_ops is ABI 1.0-sized), and ORDER
 * (a well-formed module "order" whose version is ORDER), BAD_CRASH (init
 * dies of SIGSEGV: class t_crash), and OLD_MINOR (a well-formed module
 * "old24" built for ABI 2.4: its class t_old24's nlp_train_ops ends before
 * the 2.5 fields; the host must load it). */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>

#include <nlpipe/plugin.h>
#include <nlpipe/train.h>

#define STR_(x) #x
#define STR(x)  STR_(x)

static int make(void **self, const nlp_config *cfg, nlp_err *err)
{
	*self = malloc(1);
	return *self ? NLP_OK : nlp_err_set(err, NLP_ENOMEM, "out of memory");
}

static void destroy(void *self)
{
	free(self);
}

static int process(void *self, nlp_doc *doc, nlp_err *err)
{
	return NLP_OK;
}

#if defined(ORDER)
#define CLS_NAME     "t_order_" STR(ORDER)
#define CLS_CONSUMES NLP_KIND_TOKENS
#define CLS_TRAIN    NULL
#elif defined(BAD_CRASH)
#define CLS_NAME     "t_crash"
#define CLS_CONSUMES NLP_KIND_TEXT
#define CLS_TRAIN    NULL
#elif defined(OLD_MINOR)
/* A table as ABI 2.4 had it: up to the reserved slots. */
static const nlp_train_ops old_ops = {.struct_size = offsetof(nlp_train_ops, lookup_table)};
#define CLS_NAME     "t_old24"
#define CLS_CONSUMES NLP_KIND_TEXT
#define CLS_TRAIN    (&old_ops)
#elif defined(BAD_TRAIN_SIZE)
/* A table as ABI 1.0 had it: up to load. */
static const nlp_train_ops small_ops = {.struct_size = offsetof(nlp_train_ops, thresholds)};
#define CLS_NAME     "t_smallops"
#define CLS_CONSUMES NLP_KIND_TEXT
#define CLS_TRAIN    (&small_ops)
#else
#define CLS_NAME     "t_split" /* taken by module good */
#define CLS_CONSUMES NLP_KIND_TEXT
#define CLS_TRAIN    NULL
#endif

static const nlp_stage_class cls = {
        .struct_size = sizeof(nlp_stage_class),
        .name = CLS_NAME,
        .summary = "a test class",
        .consumes = CLS_CONSUMES,
        .produces = NLP_KIND_TOKENS,
        .create = make,
        .destroy = destroy,
        .process = process,
        .train = CLS_TRAIN,
};

static int init(nlp_registrar *reg, nlp_err *err)
{
#ifdef BAD_INIT
	(void)cls;
	return nlp_err_set(err, NLP_EPLUGIN, "this module always fails to start");
#elif defined(BAD_CRASH)
	(void)cls;
	raise(SIGSEGV);
	abort();
#else
	return nlp_register_stage(reg, &cls, err);
#endif
}

/* A descriptor with the given ABI version and size. */
#define DESC(mod, major, minor, size, modname, ver, what)                                          \
	NLP_MODULE(mod) = {.abi_major = (major),                                                   \
	                   .abi_minor = (minor),                                                   \
	                   .struct_size = (size),                                                  \
	                   .name = (modname),                                                      \
	                   .version = (ver),                                                       \
	                   .description = (what),                                                  \
	                   .init = init}

#if defined(BAD_ABI_MAJOR)
DESC(badabi, NLP_ABI_MAJOR + 1, 0, sizeof(nlp_module), "badabi", "1", "wrong ABI major");
#elif defined(BAD_ABI_MINOR)
DESC(newminor, NLP_ABI_MAJOR, NLP_ABI_MINOR + 1, sizeof(nlp_module), "newminor", "1",
     "newer minor");
#elif defined(BAD_DUPLICATE)
DESC(dup, NLP_ABI_MAJOR, NLP_ABI_MINOR, sizeof(nlp_module), "dup", "1", "duplicate class");
#elif defined(BAD_NAME)
DESC(misnamed, NLP_ABI_MAJOR, NLP_ABI_MINOR, sizeof(nlp_module), "other", "1", "wrong name");
#elif defined(BAD_INIT)
DESC(badinit, NLP_ABI_MAJOR, NLP_ABI_MINOR, sizeof(nlp_module), "badinit", "1", "init fails");
#elif defined(BAD_CRASH)
DESC(crashinit, NLP_ABI_MAJOR, NLP_ABI_MINOR, sizeof(nlp_module), "crashinit", "1", "init crashes");
#elif defined(BAD_DESC_SMALL) /* the size of an ABI 1.0 descriptor */
DESC(smalldesc, NLP_ABI_MAJOR, NLP_ABI_MINOR, offsetof(nlp_module, reserved) - 8, "smalldesc", "1",
     "descriptor too small");
#elif defined(BAD_DESC_LARGE)
DESC(bigdesc, NLP_ABI_MAJOR, NLP_ABI_MINOR, sizeof(nlp_module) + 8, "bigdesc", "1",
     "descriptor larger than the host knows");
#elif defined(BAD_DESC_RESERVED)
NLP_MODULE(resdesc) = {
        NLP_MODULE_HEADER, .name = "resdesc",
        .version = "1",    .description = "a reserved field set",
        .init = init,      .reserved = {(void *)&cls},
};
#elif defined(BAD_TRAIN_SIZE)
DESC(smallops, NLP_ABI_MAJOR, NLP_ABI_MINOR, sizeof(nlp_module), "smallops", "1",
     "train ops too small");
#elif defined(OLD_MINOR)
DESC(old24, NLP_ABI_MAJOR, 4, sizeof(nlp_module), "old24", "1", "built for ABI 2.4");
#elif defined(ORDER)
DESC(order, NLP_ABI_MAJOR, NLP_ABI_MINOR, sizeof(nlp_module), "order", STR(ORDER), "search order");
#else /* BAD_NO_DESCRIPTOR */
int nodesc_placeholder(void);
int nodesc_placeholder(void)
{
	return init(NULL, NULL) + (int)sizeof cls;
}
#endif
