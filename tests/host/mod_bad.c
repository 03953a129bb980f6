/* mod_bad.c - test modules the host must refuse, one per -DBAD_* flag:
 * BAD_ABI_MAJOR, BAD_ABI_MINOR (newer than the host), BAD_NO_DESCRIPTOR,
 * BAD_DUPLICATE (registers t_split, taken by module good), BAD_NAME (the
 * descriptor names another module), BAD_INIT (init fails), and ORDER (a
 * well-formed module "order" whose version is ORDER). */
#include <stdlib.h>

#include <nlpipe/plugin.h>

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

#ifdef ORDER
static const nlp_stage_class cls = {
        sizeof(nlp_stage_class),
        "t_order_" STR(ORDER),
        "version marker",
        NULL,
        NLP_KIND_TOKENS,
        NLP_KIND_TOKENS,
        make,
        destroy,
        process,
        NULL,
};
#else
static const nlp_stage_class cls = {
        sizeof(nlp_stage_class),
        "t_split",
        "a second t_split",
        NULL,
        NLP_KIND_TEXT,
        NLP_KIND_TOKENS,
        make,
        destroy,
        process,
        NULL,
};
#endif

static int init(nlp_registrar *reg, nlp_err *err)
{
#ifdef BAD_INIT
	(void)cls;
	return nlp_err_set(err, NLP_EPLUGIN, "this module always fails to start");
#else
	return nlp_register_stage(reg, &cls, err);
#endif
}

#if defined(BAD_ABI_MAJOR)
NLP_MODULE(badabi) = {NLP_ABI_MAJOR + 1, 0, "badabi", "1", "wrong ABI major", init};
#elif defined(BAD_ABI_MINOR)
NLP_MODULE(newminor) = {NLP_ABI_MAJOR, NLP_ABI_MINOR + 1, "newminor", "1", "newer minor", init};
#elif defined(BAD_DUPLICATE)
NLP_MODULE(dup) = {NLP_ABI_MAJOR, NLP_ABI_MINOR, "dup", "1", "duplicate class", init};
#elif defined(BAD_NAME)
NLP_MODULE(misnamed) = {NLP_ABI_MAJOR, NLP_ABI_MINOR, "other", "1", "wrong name", init};
#elif defined(BAD_INIT)
NLP_MODULE(badinit) = {NLP_ABI_MAJOR, NLP_ABI_MINOR, "badinit", "1", "init fails", init};
#elif defined(ORDER)
NLP_MODULE(order) = {NLP_ABI_MAJOR, NLP_ABI_MINOR, "order", STR(ORDER), "search order", init};
#else /* BAD_NO_DESCRIPTOR */
int nodesc_placeholder(void);
int nodesc_placeholder(void)
{
	return init(NULL, NULL) + (int)sizeof cls;
}
#endif
