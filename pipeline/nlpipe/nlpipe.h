/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/nlpipe.h - the library API of libnlpipe: load stage modules, read
 * and check an INI pipeline, run it.  Plugins need only nlpipe/plugin.h
 * (and nlpipe/train.h for trainable stages).
 *
 * Every function returns an nlp_rc code (NLP_OK on success) and fills an
 * nlp_err with a message that names the file, line or key at fault.
 */
#ifndef NLPIPE_NLPIPE_H
#define NLPIPE_NLPIPE_H

#include <stdio.h>
#include <nlpipe/plugin.h>
#include <nlpipe/train.h>

#ifdef __cplusplus
extern "C" {
#endif

const char *nlp_version(void);

/* Exit status of the nlpipe command for a result code:
 * 0 ok, 1 usage or configuration error, 2 data error, 3 internal error. */
int nlp_exit_code(int rc);

/* OpenBLAS's kernel for this CPU (openblas_get_corename()) in buf, and 1
 * with a note in buf when it is a generic one although the CPU has AVX2 and
 * FMA (an OpenBLAS that does not know the CPU: matrix products run about 3x
 * slower); 0 otherwise. */
int nlp_blas_note(char *buf, size_t n);

/* The kernel of the recurrent encoders' int8 products (`precision = int8`)
 * on this CPU: "avx512-vnni" when it has AVX512_VNNI (with AVX512F/BW, AVX2,
 * FMA), else "avx2" with AVX2 and FMA (about the rate of the fp32 product),
 * else "c" (portable, much slower); NLPIPE_MAX_CPU_ISA = avx2, sse2 or c caps
 * the choice as it caps the fp32 kernels.  All give the same results. */
const char *nlp_int8_kernel(void);

/* The kernel of the recurrent encoders' bf16 products (`precision = bf16`)
 * on this CPU: "avx512-bf16" when it has AVX512_BF16 (with AVX512F, AVX2,
 * FMA) and NLPIPE_MAX_CPU_ISA does not cap the kernels below avx512, else
 * "none": such a CPU runs those encoders at fp32. */
const char *nlp_bf16_kernel(void);

/* Symmetric int8 quantization, the same wherever nlpipe makes int8 values
 * (the encoders' int8 products, `nlpipe quantize`'s model files): values
 * whose largest magnitude is amax get the scale amax / 127 (0 when amax is
 * 0 or not finite) and map to nlp_q127(v * inv), inv = 127 / amax. */
static inline void nlp_q8_scale(float amax, float *scale, float *inv)
{
	const int fin = amax > 0.0f && amax <= 3.0e38f;
	*scale = fin ? amax / 127.0f : 0.0f;
	*inv = fin ? 127.0f / amax : 0.0f;
}

/* v rounded half away from zero, clamped to [-127, 127] (NaN: 127). */
static inline int nlp_q127(float v)
{
	const float r = v >= 0.0f ? v + 0.5f : v - 0.5f;
	if (!(r < 127.0f))
		return 127;
	if (!(r > -127.0f))
		return -127;
	return (int)r;
}

/* ---- Diagnostics: messages that do not stop the work (a module refused,
 * a skipped file).  The host prints them through this callback. ---- */
typedef void (*nlp_diag_fn)(void *user, const char *msg);

/* ---- The host: a registry of stage classes from loaded modules ---- */
typedef struct nlp_host nlp_host;

int nlp_host_new(nlp_host **out, nlp_err *err);
void nlp_host_free(nlp_host *h);
/* Where warnings go.  The library never prints: without a callback they
 * are dropped (the nlpipe command shows them as "nlpipe: warning: ..."). */
void nlp_host_set_diag(nlp_host *h, nlp_diag_fn fn, void *user);

/* Append a folder to the module search path. */
int nlp_host_add_path(nlp_host *h, const char *dir, nlp_err *err);
/* Append NLPIPE_PLUGIN_PATH (colon-separated) then the installed folder,
 * unless NLPIPE_PLUGIN_PATH_ONLY is set (to anything but 0). */
int nlp_host_add_default_paths(nlp_host *h, nlp_err *err);
/* Find the modules of the search path, in order, to be loaded when needed:
 * nlp_host_find_class loads the modules whose file holds the class's name,
 * then (still unknown) the others in path order; listing modules or classes
 * loads them all.  A module that cannot be loaded or is refused (ABI, no
 * descriptor, init failure, a stage name taken by another module) is
 * reported through the diag callback when it is loaded and skipped; a module
 * whose name was already found in an earlier folder is skipped.  Returns an
 * error only when no module file was found at all. */
int nlp_host_load_modules(nlp_host *h, nlp_err *err);
/* The module file being loaded (its dlopen or init running) in this
 * process, or NULL: what a crash handler names (safe to call from one). */
const char *nlp_host_loading_module(void);
/* Load one module file (path with or without .la/.so). */
int nlp_host_load_module(nlp_host *h, const char *path, nlp_err *err);

/* Introspection, for `nlpipe plugins`. */
typedef struct nlp_module_info {
	const char *file;
	const char *name;
	const char *version;
	const char *description;
	unsigned abi_major, abi_minor;
} nlp_module_info;

size_t nlp_host_module_count(const nlp_host *h);
const nlp_module_info *nlp_host_module(const nlp_host *h, size_t i);
size_t nlp_host_class_count(const nlp_host *h);
const nlp_stage_class *nlp_host_class(const nlp_host *h, size_t i, const nlp_module_info **from);
const nlp_stage_class *nlp_host_find_class(const nlp_host *h, const char *name,
                                           const nlp_module_info **from);

/* ---- Files written atomically: the bytes go to a temporary file beside
 * the target (same folder, a fresh name, mode 0666 less the umask), which
 * replaces the target only once everything was written (flush, fsync,
 * rename, fsync of the folder).  On failure or abort the temporary file is
 * removed and the target is left as it was. ---- */
typedef struct nlp_atomic_file {
	FILE *f;    /* write here (owned) */
	char *path; /* the target (owned) */
	char *tmp;  /* the temporary file (owned; NULL once renamed) */
} nlp_atomic_file;

/* Create the temporary file and open a->f on it ("wb": seekable). */
int nlp_atomic_open(nlp_atomic_file *a, const char *path, nlp_err *err);
/* Flush, fsync and close a->f, then rename the temporary file onto the
 * target.  Releases a whatever the result (on failure as nlp_atomic_abort). */
int nlp_atomic_commit(nlp_atomic_file *a, nlp_err *err);
/* Close and remove the temporary file and release a; safe on a zeroed or
 * released one. */
void nlp_atomic_abort(nlp_atomic_file *a);

/* ---- JSON strings (RFC 8259) ---- */

/* Where bytes go: returns NLP_OK or an error code, which stops the writer. */
typedef int (*nlp_write_fn)(void *user, const char *p, size_t n);

/* Write s[0..n) as a JSON string, quotes included, through put: '"' and '\\'
 * are escaped, newline and TAB as \n and \t, the other bytes below 0x20 as
 * \u00XX; valid UTF-8 is kept as it is and each byte that is not part of
 * valid UTF-8 becomes U+FFFD.  Returns the first error of put, or NLP_OK. */
int nlp_json_string(const char *s, size_t n, nlp_write_fn put, void *user);
/* The same for a NUL-terminated string (NULL: "") to a stream. */
void nlp_json_fputs(FILE *f, const char *s);

/* Seconds on a monotonic clock (for durations and rates). */
double nlp_clock_seconds(void);

/* Edit distance between two short strings, for "did you mean". */
size_t nlp_edit_distance(const char *a, const char *b);

/* ---- INI pipeline files ---- */
typedef struct nlp_ini nlp_ini;

/* Parse an INI file.  Syntax errors fail with FILE:LINE messages. */
int nlp_ini_read(nlp_ini **out, const char *path, nlp_err *err);
/* Parse INI text held in memory; name is used in messages. */
int nlp_ini_parse(nlp_ini **out, const char *name, const char *text, size_t len, nlp_err *err);
void nlp_ini_free(nlp_ini *ini);
/* Apply a command-line override "SECTION.KEY=VALUE". */
int nlp_ini_override(nlp_ini *ini, const char *assignment, nlp_err *err);
/* Value of key in section, or NULL. */
const char *nlp_ini_get(const nlp_ini *ini, const char *section, const char *key);
/* Where the file is (for relative paths); "" for in-memory text. */
const char *nlp_ini_dir(const nlp_ini *ini);
const char *nlp_ini_name(const nlp_ini *ini);
/* Number of sections, and their names and lines, in file order. */
size_t nlp_ini_section_count(const nlp_ini *ini);
const char *nlp_ini_section(const nlp_ini *ini, size_t i, int *line);
/* Keys of a section in file order; returns their number. */
size_t nlp_ini_key_count(const nlp_ini *ini, const char *section);
const char *nlp_ini_key(const nlp_ini *ini, const char *section, size_t i, const char **value,
                        int *line);

/* Line of key in section (of the section header when key is NULL); 0 when
 * it came from an override or does not exist. */
int nlp_ini_line(const nlp_ini *ini, const char *section, const char *key);
/* The file as the pipeline sees it (overrides applied), as INI text. */
int nlp_ini_dump(const nlp_ini *ini, nlp_buf *out);

/* A section that is not a stage instance ([train], [predict], ...) is
 * declared by the command that uses it with this table: keys, types and
 * defaults, checked like a stage's options. */
int nlp_ini_declare_section(nlp_ini *ini, const char *section, const nlp_option *opts);

/* Check a command's own section (e.g. [train]) against its option table and
 * make a config of it: every problem is reported, FILE:LINE: a line.  A
 * missing section gives the defaults.  Free with nlp_config_destroy. */
int nlp_config_from_ini(nlp_config **out, const nlp_ini *ini, const char *section,
                        const nlp_option *opts, nlp_err *err);
void nlp_config_destroy(nlp_config *c);
/* The option behind entry i of a config. */
const nlp_option *nlp_config_option(const nlp_config *c, size_t i);

/* ---- Pipelines ---- */
typedef struct nlp_pipeline nlp_pipeline;

/* Build a pipeline from an INI file (already parsed, overrides applied):
 * appends the file's plugin_path, then NLPIPE_PLUGIN_PATH and the installed
 * folder, to the host's search path (so on a fresh host they are searched in
 * that order), loads the modules found, then validates
 * everything and reports every problem at once, one FILE:LINE: message a
 * line, in err (err->msg holds as many as fit; all go to diag).  On success
 * one instance of each stage exists. */
int nlp_pipeline_new(nlp_pipeline **out, nlp_host *h, nlp_ini *ini, nlp_err *err);
void nlp_pipeline_free(nlp_pipeline *p);

size_t nlp_pipeline_stage_count(const nlp_pipeline *p);
/* Stage i: its instance name, class, and resolved options. */
const char *nlp_pipeline_stage_name(const nlp_pipeline *p, size_t i);
const nlp_stage_class *nlp_pipeline_stage_class(const nlp_pipeline *p, size_t i);
const nlp_config *nlp_pipeline_stage_config(const nlp_pipeline *p, size_t i);
/* The kind stage i's instance produces: its class's produces_for(options)
 * (ABI 2.3, read only when the class's struct_size holds it), else the
 * class's produces.  What every check and listing of kinds uses. */
nlp_kind nlp_pipeline_stage_produces(const nlp_pipeline *p, size_t i);
/* The same for a class and validated options (cfg NULL: the class's
 * produces). */
nlp_kind nlp_stage_produces(const nlp_stage_class *c, const nlp_config *cfg);
void *nlp_pipeline_stage_instance(const nlp_pipeline *p, size_t i);
const nlp_module_info *nlp_pipeline_stage_module(const nlp_pipeline *p, size_t i);
/* Stage i's INI key lr_scale (a host key, like type and input; trainable
 * stages only): its learning rate is [train] learning_rate times this, 0
 * freezing it.  1 when unset. */
double nlp_pipeline_stage_lr_scale(const nlp_pipeline *p, size_t i);
/* [pipeline] init_from: the model to fine-tune from, resolved against the
 * INI file's folder; "" when unset (see nlpipe/finetune.h). */
const char *nlp_pipeline_init_from(const nlp_pipeline *p);
/* The INI the pipeline was built from (borrowed: it must outlive p). */
nlp_ini *nlp_pipeline_ini(const nlp_pipeline *p);
/* Index of the first stage that produces neither text nor tokens (the
 * embedding, say), or the stage count when there is none: the text stages
 * are [0, text_end). */
size_t nlp_pipeline_text_end(const nlp_pipeline *p);

/* The graph.  Stage i reads the stages in[0..count) (indices of earlier
 * stages, in the order its INI `input` key names them; by default the stage
 * before it); the first stage reads the document (count 0).  Several inputs
 * are vectors, joined in that order. */
size_t nlp_pipeline_stage_inputs(const nlp_pipeline *p, size_t i, const size_t **in);
/* The later stages that read stage i (none for the last). */
size_t nlp_pipeline_stage_readers(const nlp_pipeline *p, size_t i, const size_t **readers);
/* Whether every stage reads the one before it (no `input` names another). */
int nlp_pipeline_is_linear(const nlp_pipeline *p);
/* The stages that map tokens to ids (an embedding, a bag) each start an id
 * stream: a document's ids from that stage, batched on their own.  The
 * number of streams, and the stream a batch stage works on (its own for a
 * stage that maps tokens, else its first input's; -1 for document stages). */
int nlp_pipeline_streams(const nlp_pipeline *p);
int nlp_pipeline_stage_stream(const nlp_pipeline *p, size_t i);
/* Width of stage i's output once set up (0 before, and for document
 * stages), and of its input: 0 for a stage that reads tokens (ids), else
 * the sum of its inputs' widths. */
int nlp_pipeline_stage_dim(const nlp_pipeline *p, size_t i);
int nlp_pipeline_stage_in_dim(const nlp_pipeline *p, size_t i);
/* Stage i's inputs as INI text ("encode, bag") in buf when they are not
 * the stage before it (else NULL). */
const char *nlp_pipeline_stage_input_text(const nlp_pipeline *p, size_t i, char *buf, size_t size);
/* Print the graph as comment lines: each stage and what it reads. */
void nlp_pipeline_print_graph(const nlp_pipeline *p, FILE *out);

/* A stage's messages never name the stage: the host puts "[instance]
 * (class): " in front of what stage i set in err (after create, process or
 * any nlp_train_ops function failed with rc) and returns rc.  Code that calls
 * a stage's functions itself (a training loop) does the same. */
int nlp_pipeline_stage_error(const nlp_pipeline *p, size_t i, int rc, nlp_err *err);

/* Print the resolved pipeline: every stage, every option with its value. */
void nlp_pipeline_print(const nlp_pipeline *p, FILE *out);

/* Number of option values in a config, and the i-th name and value as text
 * (the default filled in when the file did not set it). */
size_t nlp_config_count(const nlp_config *c);
const char *nlp_config_entry(const nlp_config *c, size_t i, const char **value, int *is_default);

/* A worker: its own instance of every document stage, for one thread.  A
 * trainable stage's learned state (the embedding's vocabulary) is copied
 * from the pipeline's instance with its save/load functions, so make
 * workers after training's setup or after loading a model. */
typedef struct nlp_worker nlp_worker;
int nlp_worker_new(nlp_worker **out, nlp_pipeline *p, nlp_err *err);
void nlp_worker_free(nlp_worker *w);
/* Run document stages [0, end) on a text, each on what its input stage
 * gave; when end passes the text stages (end > text_end), every stage that
 * maps tokens to ids runs.  On success *tokens is the token list of the last
 * text stage run (owned by the worker, valid until its next run).  When ids
 * were made, *ids and *n_ids are set (else NULL and 0): with several id
 * streams, the streams one after another (nlp_worker_streams says where
 * each ends). */
int nlp_worker_run(nlp_worker *w, size_t end, const char *name, const char *text, size_t len,
                   const nlp_tokens **tokens, const int32_t **ids, size_t *n_ids, nlp_err *err);
/* After a run with several id streams: [0] the number of streams K, then
 * [k] where stream k-1 ends in the ids (1 <= k < K); NULL with one stream.
 * Owned by the worker, valid until its next run. */
const uint32_t *nlp_worker_streams(const nlp_worker *w);
/* Stage i's output tokens of the last run (a document stage's). */
const nlp_tokens *nlp_worker_stage_tokens(const nlp_worker *w, size_t i);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_NLPIPE_H */
