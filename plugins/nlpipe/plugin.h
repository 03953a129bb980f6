/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/plugin.h - the plugin contract: the one header a stage module needs.
 *
 * A module is a shared object (built with libtool -module, or plain
 * `cc -shared`) that exports exactly one symbol, its descriptor:
 *
 *     NLP_MODULE(mymod) = {
 *         NLP_MODULE_HEADER,
 *         .name = "mymod",
 *         .version = "1.0",
 *         .description = "One-line description",
 *         .init = mymod_init,
 *     };
 *
 * NLP_MODULE(mymod) names the descriptor `mymod_LTX_nlp_module`, libltdl's
 * prefixed form, so that several modules can be linked statically into one
 * program; the host also accepts a plain `nlp_module` symbol.  The module's
 * file name must then be mymod.so (or mymod.la): libltdl derives the prefix
 * from it.
 *
 * The host calls init() once after loading; init registers one or more stage
 * classes with nlp_register_stage().  Everything else in a module should be
 * static.
 *
 * Ownership, in one place:
 *  - Every `const char *` and every table a module hands to the host
 *    (descriptor, stage classes, option tables) is owned by the module and
 *    must stay valid until the module is unloaded: use static storage.
 *  - An instance (`void *self`) is created by the class's create(), owned by
 *    the host, and freed by the class's destroy().  The host never looks
 *    inside it.  An instance is used by one thread at a time; the host makes
 *    one instance per worker thread, so instances need no locks.  Plugins must
 *    not keep mutable global state.
 *  - nlp_config and nlp_doc are owned by the host and only lent for the call.
 *  - Strings returned by nlp_config getters live as long as the config, which
 *    lives as long as the instance.
 */
#ifndef NLPIPE_PLUGIN_H
#define NLPIPE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI of this contract.  The host refuses a module whose major differs
 * from its own, or whose minor is newer than its own.
 *
 * A minor bump adds something old modules never see or need: a field at the
 * end of a struct that carries struct_size (or in one of its reserved
 * slots, whose zero then means "not set"), a function in libnlpipe, a kind or
 * option type.  Anything else is a major bump: every module is rebuilt.
 *
 * 2.0 (from 1.0): nlp_module gained struct_size and reserved slots,
 * nlp_train_ops reserved slots; the host checks both sizes.
 * 2.1: nlp_doc gained `label` at its end (the host allocates nlp_doc, and
 * refuses modules of a newer minor, so a 2.1 module always sees it).
 * 2.2: nlp_train_ops gained `set_thresholds` in its first reserved slot
 * (tuned per-label thresholds of multi-label heads).
 * 2.3: language models.  nlp_stage_class gained `produces_for` at its end
 * (a kind that depends on the options: an encoder with `pooling = none`);
 * nlp_batch gained `next_ids`, `carry` and `reset` at its end (the host
 * allocates it); nlp_train_ops gained `tie` and `token` in two of its
 * reserved slots.
 * 2.4: sequence-to-sequence models.  nlp_batch gained `U`, `dec_ids`,
 * `dec_len` and `dec_next` at its end (the host allocates it): the decoder's
 * steps, input ids and targets of source<TAB>target pairs.
 * 2.5: nlp_batch gained `dec_from` at its end (the host allocates it), and a
 * decoder reads `carry`: decoding one step a forward, the encoder run once
 * (the host does so only with decoders of modules of 2.5 or later);
 * nlp_train_ops gained `attention` in one of its reserved slots, and
 * `lookup_table`, `forward_lookup`, `target_id` and `carried` at its end (its
 * size grew from 128 to 160 bytes; the host reads them only when struct_size holds
 * them): an encoder that reads an embedding can look up each word's
 * precomputed input projection instead of multiplying, and a decoder can
 * keep a target vocabulary of its own, and a recurrent stage hands over the
 * state it carries from window to window, for checkpoints (see
 * nlpipe/train.h); libnlpipe gained
 * nlp_parallel (<nlpipe/train.h>), the process's worker pool. */
#define NLP_ABI_MAJOR 2
#define NLP_ABI_MINOR 5

/* Whether a struct a module handed over (with a struct_size field) is large
 * enough to hold field f: fields added by later minor versions are read only
 * when it is. */
#define NLP_HAS_FIELD(p, type, f) ((p)->struct_size >= offsetof(type, f) + sizeof((p)->f))

/* Layout checks (LP64), so that a change of the ABI cannot go unnoticed. */
#if (defined(__LP64__) || defined(_LP64)) &&                                                       \
        ((defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L) ||                             \
         (defined(__cplusplus) && __cplusplus >= 201103L))
#define NLP_CHECK_LAYOUT 1
#ifdef __cplusplus
#define NLP_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define NLP_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
#endif

/* ---- Result codes (SQLite style: an int, the message goes separately) ---- */
enum nlp_rc {
	NLP_OK = 0,
	NLP_ECONFIG = 1, /* bad pipeline, option, command line: exit code 1 */
	NLP_EDATA = 2,   /* bad input data or model file: exit code 2 */
	NLP_EIO = 3,     /* a file could not be read or written */
	NLP_ENOMEM = 4,  /* out of memory */
	NLP_EPLUGIN = 5, /* a module could not be loaded or misbehaved */
	NLP_EINTERNAL = 6
};

/* An error: a code and a human message.  Functions that fail fill one in and
 * return the same code.  The message should name the file, line, key or
 * option at fault and say what to do.
 *
 * A stage's message never names the stage: the host alone puts
 * "[instance] (class): " in front of whatever any of a stage's functions
 * (create, process, the nlp_train_ops ones) set, so a stage that added its
 * own "[name]" or "stemmer: " would be named twice. */
typedef struct nlp_err {
	int code;
	char msg[1024];
} nlp_err;

/* Fill in err (printf format) and return code.  err may be NULL. */
int nlp_err_set(nlp_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

/* ---- What flows between stages ---- */
typedef enum nlp_kind {
	NLP_KIND_NONE = 0,
	NLP_KIND_TEXT,     /* one document's text, valid UTF-8 */
	NLP_KIND_TOKENS,   /* one document's tokens (nlp_tokens) */
	NLP_KIND_IDS,      /* one document's token ids */
	NLP_KIND_SEQUENCE, /* a batch of vector sequences (see nlpipe/train.h) */
	NLP_KIND_VECTOR,   /* a batch of vectors */
	NLP_KIND_SCORES    /* a batch of label scores */
} nlp_kind;

/* Name of a kind, for messages ("text", "tokens", ...). */
const char *nlp_kind_name(nlp_kind k);

/* A token list: the bytes of all tokens in one buffer, each token
 * NUL-terminated, so appending a token never allocates per token. */
typedef struct nlp_tokens {
	char *buf;      /* token bytes; token i at buf + off[i] */
	size_t len;     /* bytes used in buf */
	size_t cap;     /* bytes allocated */
	uint32_t *off;  /* [n] start offsets */
	uint32_t *tlen; /* [n] token lengths in bytes, without the NUL */
	size_t n;       /* number of tokens */
	size_t ncap;    /* entries allocated in off and tlen */
} nlp_tokens;

/* Append a token (len bytes, need not be NUL-terminated). */
int nlp_tokens_push(nlp_tokens *t, const char *s, size_t len);
/* Forget all tokens, keep the memory. */
void nlp_tokens_clear(nlp_tokens *t);
/* Free the memory (the struct itself is the caller's). */
void nlp_tokens_free(nlp_tokens *t);

static inline const char *nlp_token(const nlp_tokens *t, size_t i)
{
	return t->buf + t->off[i];
}

/* One document on its way through the document-level stages.
 * A stage reads its input (text, or in) and appends to its output (out, or
 * ids); the host clears out before the call and swaps in/out after it. */
typedef struct nlp_doc {
	const char *name; /* where it came from, for messages */
	const char *text; /* NLP_KIND_TEXT input, valid UTF-8, NUL-terminated */
	size_t text_len;
	nlp_tokens *in;  /* NLP_KIND_TOKENS input */
	nlp_tokens *out; /* NLP_KIND_TOKENS output, empty on entry */
	int32_t *ids;    /* NLP_KIND_IDS output: use nlp_doc_push_id */
	size_t n_ids;
	size_t cap_ids;
	/* ABI 2.1: the document's class index (0..n_classes-1) when the host
	 * knows it (nlp_train_ops.observe during training), else -1. */
	int label;
} nlp_doc;

int nlp_doc_push_id(nlp_doc *doc, int32_t id);

/* ---- Options a stage class takes ---- */
typedef enum nlp_opt_type {
	NLP_OPT_END = 0, /* terminates an option table */
	NLP_OPT_BOOL,    /* true/false, yes/no, on/off, 1/0 */
	NLP_OPT_INT,     /* integer within [min, max] */
	NLP_OPT_FLOAT,   /* number within [min, max] */
	NLP_OPT_STRING,  /* any text */
	NLP_OPT_ENUM,    /* one of choices, "a|b|c" */
	NLP_OPT_LIST,    /* comma-separated words */
	NLP_OPT_PATH     /* a file; relative paths are taken from the INI file's folder */
} nlp_opt_type;

typedef struct nlp_option {
	const char *name;
	nlp_opt_type type;
	const char *def;     /* default as written in INI; NULL: the option is required */
	double min, max;     /* INT/FLOAT range; min > max means unbounded */
	const char *choices; /* ENUM only: "a|b|c" */
	const char *help;    /* one line */
} nlp_option;

/* The resolved, validated options of one stage instance.  Getters never fail:
 * the host has checked every value against the option table before create(),
 * and a name not in the table is a programming error (it aborts). */
typedef struct nlp_config nlp_config;

int nlp_config_bool(const nlp_config *c, const char *name);
long nlp_config_int(const nlp_config *c, const char *name);
double nlp_config_float(const nlp_config *c, const char *name);
const char *nlp_config_str(const nlp_config *c,
                           const char *name); /* STRING, ENUM, PATH; "" when unset */
/* LIST: the words, trimmed; *n is set to their number.  Lives as long as c. */
const char *const *nlp_config_list(const nlp_config *c, const char *name, size_t *n);
/* The instance name from the INI file (its section), for messages. */
const char *nlp_config_instance(const nlp_config *c);

/* ---- Stage classes ---- */
struct nlp_train_ops; /* trainable stages: see nlpipe/train.h */

typedef struct nlp_stage_class {
	uint32_t struct_size;      /* sizeof(nlp_stage_class) as the module saw it */
	const char *name;          /* class name used in INI `type = ...`: [a-z0-9_]+ */
	const char *summary;       /* one line */
	const nlp_option *options; /* table ending with an NLP_OPT_END entry; may be NULL */
	nlp_kind consumes;
	nlp_kind produces;

	/* Make an instance from validated options.  On failure fill err and
	 * return its code; *self is then ignored. */
	int (*create)(void **self, const nlp_config *cfg, nlp_err *err);
	/* Free an instance.  Called once for every successful create. */
	void (*destroy)(void *self);
	/* Document-level work (text and token stages; the embedding's token->id
	 * lookup).  NULL for stages that only work on batches. */
	int (*process)(void *self, nlp_doc *doc, nlp_err *err);

	/* NULL unless the stage has parameters to train: see nlpipe/train.h. */
	const struct nlp_train_ops *train;

	/* ABI 2.3: the kind an instance with these (validated) options
	 * produces, when it depends on them: an encoder with `pooling = none`
	 * gives NLP_KIND_SEQUENCE instead of NLP_KIND_VECTOR.  NULL: always
	 * `produces`.  The host reads it only when struct_size holds it. */
	nlp_kind (*produces_for)(const nlp_config *cfg);
} nlp_stage_class;

/* ---- Modules ---- */
typedef struct nlp_registrar nlp_registrar;

/* The descriptor.  abi_major and abi_minor stay the first two fields in
 * every version, so that any host can read which ABI a module claims; the
 * host reads the rest only when they match its own.  Fill it with
 * NLP_MODULE_HEADER and the other fields by name; leave the reserved ones
 * out (zero): the host refuses a descriptor whose struct_size is smaller
 * than the ABI it claims needs or larger than the host knows, or whose
 * reserved fields are not zero. */
typedef struct nlp_module {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t struct_size;    /* sizeof(nlp_module) as the module saw it */
	uint32_t reserved0;      /* zero */
	const char *name;        /* module name; equals the file's base name */
	const char *version;     /* the module's own version, e.g. "1.2.0" */
	const char *description; /* one line */
	int (*init)(nlp_registrar *reg, nlp_err *err);
	void *reserved[4]; /* zero; for later minor versions */
} nlp_module;

/* The ABI and size fields of a descriptor, as this header has them. */
#define NLP_MODULE_HEADER                                                                          \
	.abi_major = NLP_ABI_MAJOR, .abi_minor = NLP_ABI_MINOR, .struct_size = sizeof(nlp_module)

#ifdef NLP_CHECK_LAYOUT
NLP_STATIC_ASSERT(offsetof(nlp_module, abi_major) == 0 && offsetof(nlp_module, abi_minor) == 4,
                  "abi_major and abi_minor never move");
NLP_STATIC_ASSERT(offsetof(nlp_module, struct_size) == 8 && offsetof(nlp_module, name) == 16 &&
                          offsetof(nlp_module, init) == 40 &&
                          offsetof(nlp_module, reserved) == 48 && sizeof(nlp_module) == 80,
                  "nlp_module layout of plugin ABI 2.0");
NLP_STATIC_ASSERT(offsetof(nlp_doc, in) == 24 && offsetof(nlp_doc, ids) == 40 &&
                          offsetof(nlp_doc, cap_ids) == 56 && offsetof(nlp_doc, label) == 64 &&
                          sizeof(nlp_doc) == 72,
                  "nlp_doc layout of plugin ABI 2.1");
NLP_STATIC_ASSERT(offsetof(nlp_stage_class, name) == 8 && offsetof(nlp_stage_class, create) == 40 &&
                          offsetof(nlp_stage_class, train) == 64 &&
                          offsetof(nlp_stage_class, produces_for) == 72 &&
                          sizeof(nlp_stage_class) == 80,
                  "nlp_stage_class layout of plugin ABI 2.3");
#endif

/* Register a stage class (called from a module's init).  The class must stay
 * valid while the module is loaded.  Fails if a class of that name exists. */
int nlp_register_stage(nlp_registrar *reg, const nlp_stage_class *cls, nlp_err *err);

#define NLP_MODULE_SYMBOL "nlp_module"
#if defined(__GNUC__)
#define NLP_EXPORT __attribute__((visibility("default")))
#else
#define NLP_EXPORT
#endif
/* The descriptor is exported even under -fvisibility=hidden. */
#define NLP_MODULE(modname)                                                                        \
	extern NLP_EXPORT const nlp_module modname##_LTX_nlp_module;                               \
	NLP_EXPORT const nlp_module modname##_LTX_nlp_module

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_PLUGIN_H */
