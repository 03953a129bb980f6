/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/model.h - model files: one file holding a whole trained pipeline.
 *
 * Two layers (the format itself is in docs/model-format.md):
 *
 *  - The container: a fixed little-endian header (magic, format version,
 *    flags, section count, total size, CRC32) followed by typed sections,
 *    each with its own CRC32.  nlp_model_writer writes one atomically (a
 *    temporary file in the same folder, fsync, rename); nlp_model_reader
 *    reads one and checks every byte of it before handing out a section.
 *    This layer knows nothing about pipelines.
 *
 *  - The model: nlp_model_save() writes a trained pipeline (its resolved INI
 *    text, every stage's class and module version, the labels, each
 *    trainable stage's saved state and parameters, training metadata and,
 *    for checkpoints, the trainer's opaque state).  nlp_model_read() reads
 *    and checks all of that without loading any module (what `nlpipe
 *    inspect` needs); nlp_model_build() then makes the pipeline with a host
 *    and fills in every trainable stage.  nlp_model_load() does both.
 *
 * A damaged file (truncated, a flipped bit, wrong magic, a newer format
 * version, sizes that do not add up) fails with NLP_EDATA and a message that
 * names the file and says what is wrong; it never crashes.
 *
 * A model names stages by class name only.  Building one never makes the
 * host open a path the model chose: the stored pipeline's plugin_path is
 * dropped (modules come from the host's search path) and so are the values
 * of stage options of type NLP_OPT_PATH (reported in nlp_model.warnings).
 */
#ifndef NLPIPE_MODEL_H
#define NLPIPE_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <nlpipe/nlpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The container ---- */

/* The newest format version this nlpipe reads (and the container writes);
 * nlp_model_save writes version 1, which older nlpipe reads, unless the
 * pipeline has branches (version 2: a GRAPH section, `input` keys);
 * nlp_model_quantize writes version 3 (PARAMS_Q8 sections);
 * nlp_model_save_ensemble version 4 (MEMBER sections). */
#define NLP_MODEL_FORMAT_VERSION 4u
#define NLP_MODEL_HEADER_SIZE    64u
#define NLP_MODEL_NO_STAGE       0xffffffffu /* section not tied to a stage */

/* Header flags. */
#define NLP_MODEL_CHECKPOINT 0x1u /* a training checkpoint (has NLP_SEC_CHECKPOINT) */

/* Section types.  Readers skip types they do not know. */
enum nlp_model_section_type {
	NLP_SEC_INFO = 1,       /* str: the program that wrote the file */
	NLP_SEC_PIPELINE = 2,   /* the resolved INI pipeline text (UTF-8, no NUL) */
	NLP_SEC_STAGE = 3,      /* per stage: names, module version, parameter layout */
	NLP_SEC_LABELS = 4,     /* u32 count, then count strs */
	NLP_SEC_STATE = 5,      /* per trainable stage: what train->save() wrote */
	NLP_SEC_PARAMS = 6,     /* per trainable stage: float32 little-endian */
	NLP_SEC_META = 7,       /* u32 count, then count (key str, value str) pairs */
	NLP_SEC_CHECKPOINT = 8, /* opaque trainer state (optimizer, RNG, position) */
	NLP_SEC_GRAPH = 9,      /* version 2: u32 stages, then per stage u32 count + inputs */
	NLP_SEC_PARAMS_Q8 = 10, /* version 3: per trainable stage, instead of PARAMS: some
	                         * blocks int8 with one float32 scale per row */
	NLP_SEC_MEMBER = 11     /* version 4: member k >= 1 of an ensemble (stage = k, in
	                         * order): a complete model file of its own; the file's
	                         * other sections are member 0 */
};

/* The most members an ensemble has ([train] ensemble). */
#define NLP_ENSEMBLE_MAX 64

/* A section as the reader hands it out.  data points into the reader's
 * copy of the file and lives as long as the reader. */
typedef struct nlp_model_section {
	uint32_t type;
	uint32_t stage; /* NLP_MODEL_NO_STAGE when not tied to a stage */
	const unsigned char *data;
	size_t len;
	size_t offset; /* of the section header in the file, for messages */
} nlp_model_section;

/* Writer.  open creates a temporary file beside path; add appends sections;
 * commit writes the header, flushes, fsyncs and renames the temporary file
 * over path.  commit and abort free the writer; after any failure (of add
 * or commit) the temporary file is removed and path is left as it was. */
typedef struct nlp_model_writer nlp_model_writer;

int nlp_model_writer_open(nlp_model_writer **out, const char *path, uint32_t flags, nlp_err *err);
int nlp_model_writer_add(nlp_model_writer *w, uint32_t type, uint32_t stage, const void *data,
                         size_t len, nlp_err *err);
/* A section of n floats, stored as little-endian IEEE-754 float32. */
int nlp_model_writer_add_f32(nlp_model_writer *w, uint32_t type, uint32_t stage, const float *x,
                             size_t n, nlp_err *err);
/* The format version the header will carry (1 .. NLP_MODEL_FORMAT_VERSION;
 * the newest unless set). */
int nlp_model_writer_set_version(nlp_model_writer *w, uint32_t version, nlp_err *err);
int nlp_model_writer_commit(nlp_model_writer *w, nlp_err *err);
void nlp_model_writer_abort(nlp_model_writer *w);

/* Reader.  open reads the whole file and checks magic, version, header
 * CRC, total size and every section's bounds and CRC.  open_mem does the
 * same on bytes in memory (copied); name is used in messages. */
typedef struct nlp_model_reader nlp_model_reader;

int nlp_model_reader_open(nlp_model_reader **out, const char *path, nlp_err *err);
int nlp_model_reader_open_mem(nlp_model_reader **out, const char *name, const void *data,
                              size_t len, nlp_err *err);
void nlp_model_reader_free(nlp_model_reader *r);
const char *nlp_model_reader_name(const nlp_model_reader *r);
uint32_t nlp_model_reader_version(const nlp_model_reader *r);
uint32_t nlp_model_reader_flags(const nlp_model_reader *r);
uint64_t nlp_model_reader_size(const nlp_model_reader *r);
size_t nlp_model_reader_count(const nlp_model_reader *r);
/* Section i (0 <= i < count), in file order. */
const nlp_model_section *nlp_model_reader_section(const nlp_model_reader *r, size_t i);
/* The first section of that type and stage, or NULL. */
const nlp_model_section *nlp_model_reader_find(const nlp_model_reader *r, uint32_t type,
                                               uint32_t stage);

/* Decode n little-endian float32 values. */
void nlp_model_get_f32(float *out, const unsigned char *le, size_t n);

/* ---- Training metadata: ordered key/value text ---- */
typedef struct nlp_model_kv {
	char *key;
	char *value;
} nlp_model_kv;

typedef struct nlp_model_meta {
	nlp_model_kv *kv; /* owned; kv[i].key/value are owned copies */
	size_t n, cap;
} nlp_model_meta; /* zero-initialise; free with nlp_model_meta_free */

/* Set key to value (replacing an earlier value of the same key, else
 * appending).  Keys and values are copied; neither may contain NUL. */
int nlp_model_meta_set(nlp_model_meta *m, const char *key, const char *value);
int nlp_model_meta_setf(nlp_model_meta *m, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
/* The value of key, or NULL. */
const char *nlp_model_meta_get(const nlp_model_meta *m, const char *key);
void nlp_model_meta_free(nlp_model_meta *m);

/* ---- Models ---- */

/* One stage as stored. */
typedef struct nlp_model_block {
	char *name;
	uint64_t offset, count; /* floats, within the stage's buffer */
	uint32_t rows, cols;    /* 0 x 0 when the block is not a matrix */
	uint32_t decay;
} nlp_model_block;

typedef struct nlp_model_stage {
	char *name;           /* instance name (INI section) */
	char *class_name;     /* stage class */
	char *module;         /* module that provided the class when saved */
	char *module_version; /* its version then */
	int trainable;
	uint64_t n_params;  /* floats in the parameter buffer */
	uint64_t state_len; /* bytes of saved state */
	nlp_model_block *blocks;
	uint32_t n_blocks;
	int in_dim, out_dim; /* trainable stages, set by nlp_model_build */
	/* The earlier stages it reads (from the GRAPH section; in a file
	 * without one, the stage before it); none for the first stage. */
	uint32_t *inputs;
	uint32_t n_inputs;
	/* How the parameters are stored: bytes of the PARAMS or PARAMS_Q8
	 * payload, and the number of blocks stored int8 (0: all float32). */
	uint64_t params_bytes;
	uint32_t n_q8_blocks;
} nlp_model_stage;

/* A model read from a file.  All fields are owned by the model and are
 * read-only for the caller; nlp_model_free frees everything, the pipeline
 * included. */
typedef struct nlp_model {
	char *path;
	uint32_t version; /* format version of the file */
	uint32_t flags;   /* NLP_MODEL_CHECKPOINT, ... */
	uint64_t size;    /* bytes */
	char *writer;     /* "nlpipe 0.1.0" */
	char *ini_text;   /* the stored pipeline, as stored */
	size_t ini_len;
	nlp_model_stage *stages;
	size_t n_stages;
	char **labels;
	size_t n_labels;
	nlp_model_meta meta;
	nlp_buf checkpoint; /* trainer state (checkpoints), else empty */
	char *warnings;     /* lines about what building dropped, or NULL */

	/* Set by nlp_model_build (NULL before): the pipeline with every
	 * trainable stage loaded and set up, and the INI it was built from. */
	nlp_pipeline *pipeline;
	nlp_ini *ini;

	struct nlp_model_reader *reader_; /* private: the file, until built */

	/* An ensemble (format version 4): its members 1 .. n_members, each a
	 * model of its own with the same labels (built with this one by
	 * nlp_model_build); the model itself is member 0.  A classifier
	 * averages the members' probabilities.  NULL and 0 otherwise. */
	struct nlp_model **members;
	size_t n_members;
} nlp_model;

/* Write a trained pipeline to path, atomically.  labels are the classes in
 * score order; meta (may be NULL) is stored as given (no date is added: a trainer
 * that wants byte-identical files for identical runs leaves it out or uses
 * nlp_model_meta_set_date); checkpoint (may be NULL) makes the file a
 * training checkpoint holding those bytes.  Every trainable stage must have
 * been set up.  Nothing in p is changed. */
int nlp_model_save(const char *path, const nlp_pipeline *p, const char *const *labels,
                   size_t n_labels, const nlp_model_meta *meta, const nlp_buf *checkpoint,
                   nlp_err *err);

/* Write the ensemble of the models in member_paths[0 .. n) (2 <= n <=
 * NLP_ENSEMBLE_MAX; each a trained classifier, not a checkpoint, with the
 * same labels in the same order) to path, atomically: member 0's sections,
 * its metadata with the key "ensemble" set to note, then each other member's
 * file as a MEMBER section (format version 4). */
int nlp_model_save_ensemble(const char *path, const char *const *member_paths, size_t n,
                            const char *note, nlp_err *err);

/* Read and check a model file without loading modules. */
int nlp_model_read(nlp_model **out, const char *path, nlp_err *err);
/* Build the pipeline with h's classes: parse the stored INI (dropping
 * plugin_path and path options), make the pipeline, then for each
 * trainable stage in order: train->load(state), train->setup(in_dim,
 * n_labels), check the parameter layout against the file, copy the
 * parameters in.  in_dim is 0 for a stage that reads tokens (ids), else
 * the sum of its inputs' out_dim (the previous stage's in a chain).  A class with train ops but no
 * setup/params (state only, no parameters) gets load() alone.  Messages
 * about what was dropped or differs (module versions) go to m->warnings. */
int nlp_model_build(nlp_model *m, nlp_host *h, nlp_err *err);
/* nlp_model_read + nlp_model_build. */
int nlp_model_load(nlp_model **out, const char *path, nlp_host *h, nlp_err *err);
void nlp_model_free(nlp_model *m);

/* Index of a label, or -1. */
int nlp_model_label_index(const nlp_model *m, const char *label);

/* A fresh instance of stage i of a built model, for another thread: made
 * from the stage's config, given the original's saved state, set up, and
 * given a copy of its parameters.  The caller owns it: free it with the
 * class's destroy().  Document stages are simply created. */
int nlp_model_clone_stage(const nlp_model *m, size_t i, void **self, nlp_err *err);

/* 1 when some stage's parameters are stored int8 (nlpipe quantize). */
int nlp_model_is_quantized(const nlp_model *m);

/* What nlp_model_quantize did. */
typedef struct nlp_quantize_report {
	uint64_t in_bytes, out_bytes; /* file sizes */
	uint64_t q8_values;           /* parameters stored int8 */
	uint64_t f32_values;          /* parameters kept float32 */
	uint32_t q8_blocks;           /* blocks stored int8 */
	uint32_t int8_stages;         /* stages whose precision was set to int8 */
} nlp_quantize_report;

/* Write a quantized copy of the classifier model in_path to out_path,
 * atomically (format version 3, docs/model-format.md): in every stage but
 * the last, each parameter block that is a matrix of at least 2 rows and
 * 8 columns is stored int8, symmetric, with one float32 scale per row (an
 * embedding table, a bag's rows, an encoder's weights: per output, as
 * `precision = int8` quantizes them); every other value stays float32.
 * Stages with a `precision` option get precision = int8.  No module is
 * loaded.  Refused (NLP_ECONFIG): a training checkpoint, a model already
 * quantized, a language or sequence-to-sequence model (no labels), a model
 * with no block to store int8.  A stage option named `precision` that does
 * not take int8 (not one of nlpipe's) would make OUT fail to load.  report
 * may be NULL. */
int nlp_model_quantize(const char *in_path, const char *out_path, nlp_quantize_report *report,
                       nlp_err *err);

/* Portable encodings for a trainer's checkpoint state (little-endian). */
int nlp_model_buf_put_u64(nlp_buf *b, uint64_t v);
int nlp_model_buf_put_f32(nlp_buf *b, const float *x, size_t n);
int nlp_model_cursor_get_u64(nlp_cursor *c, uint64_t *v);
/* n floats; NLP_EDATA (and nothing read) when fewer are left. */
int nlp_model_cursor_get_f32(nlp_cursor *c, float *x, size_t n);

/* Set meta "date" to the current UTC time (ISO 8601), or to
 * SOURCE_DATE_EPOCH when that is set (reproducible builds). */
int nlp_model_meta_set_date(nlp_model_meta *m);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_MODEL_H */
