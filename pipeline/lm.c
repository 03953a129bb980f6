/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/lm.c - language models (nlpipe/lm.h): what makes a pipeline one,
 * the vocabulary and the tied table, training streams in windows, the
 * perplexity of documents, and sampling text. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/lm.h"
#include "pipeline/dataset.h"
#include "pipeline/internal.h"

int nlp_pipeline_is_lm(const nlp_pipeline *p)
{
	const size_t n = nlp_pipeline_stage_count(p);
	const nlp_train_ops *t = n ? nlp_pipeline_stage_class(p, n - 1)->train : NULL;

	/* A head over the vocabulary offers tie (ABI 2.3), even one that never
	 * ties: a classification head may read a sequence too. */
	return t && nlp_pipeline_stage_class(p, n - 1)->consumes == NLP_KIND_SEQUENCE &&
	       nlp_pipeline_stage_produces(p, n - 1) == NLP_KIND_SCORES &&
	       NLP_HAS_FIELD(t, nlp_train_ops, tie) && t->tie;
}

int nlp_lm_check(const nlp_pipeline *p, nlp_err *err)
{
	if (nlp_pipeline_streams(p) != 1)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: a language model reads one token stream: use one stage "
		                   "that maps tokens to ids (an embedding), not %d",
		                   nlp_ini_name(nlp_pipeline_ini(p)), nlp_pipeline_streams(p));
	return NLP_OK;
}

/* The "table" block of stage first's parameters (set up), or NULL. */
static const nlp_param_block *table_block(const nlp_pipeline *p, size_t first, nlp_params *prm)
{
	const nlp_train_ops *ops = nlp_pipeline_stage_class(p, first)->train;

	memset(prm, 0, sizeof *prm);
	if (!ops || !ops->params)
		return NULL;
	ops->params(nlp_pipeline_stage_instance(p, first), prm);
	for (int k = 0; k < prm->n_blocks; k++)
		if (prm->blocks[k].name && !strcmp(prm->blocks[k].name, "table") &&
		    prm->blocks[k].rows > 0)
			return &prm->blocks[k];
	return NULL;
}

int nlp_lm_vocab_size(const nlp_pipeline *p, size_t first)
{
	nlp_params prm;
	const nlp_param_block *t = table_block(p, first, &prm);

	return t ? t->rows : 0;
}

int nlp_lm_tie(nlp_pipeline *p, size_t first, int *tied, nlp_err *err)
{
	const size_t last = nlp_pipeline_stage_count(p) - 1;
	const nlp_train_ops *ops = nlp_pipeline_stage_class(p, last)->train;
	nlp_params prm;
	const nlp_param_block *t = table_block(p, first, &prm);
	int rc;

	*tied = 0;
	if (!ops || !NLP_HAS_FIELD(ops, nlp_train_ops, tie) || !ops->tie || !t)
		return NLP_OK;
	rc = ops->tie(nlp_pipeline_stage_instance(p, last), prm.w + t->offset, prm.g + t->offset,
	              t->rows, t->cols, tied, err);
	return rc ? nlp_pipeline_stage_error(p, last, rc, err) : NLP_OK;
}

void nlp_lm_dense_table(nlp_params *prm, nlp_param_block *copy, int cap)
{
	if (prm->n_blocks > cap)
		return;
	for (int k = 0; k < prm->n_blocks; k++) {
		copy[k] = prm->blocks[k];
		if (copy[k].name && !strcmp(copy[k].name, "table")) {
			copy[k].touched = NULL;
			copy[k].n_touched = 0;
		}
	}
	prm->blocks = copy;
}

static int special_ids(nlp_pipeline *p, size_t first, int32_t *eos, int32_t *unk, nlp_err *err);

int nlp_lm_setup(nlp_pipeline *p, size_t first, int *tied, int32_t *eos, int32_t *unk, nlp_err *err)
{
	int rc;

	if (nlp_lm_vocab_size(p, first) < 2)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: stage '%s' (%s) has no vocabulary table; a language model "
		                   "starts with an embedding",
		                   nlp_ini_name(nlp_pipeline_ini(p)),
		                   nlp_pipeline_stage_name(p, first),
		                   nlp_pipeline_stage_class(p, first)->name);
	rc = nlp_lm_tie(p, first, tied, err);
	return rc ? rc : special_ids(p, first, eos, unk, err);
}

int nlp_lm_token_id(nlp_pipeline *p, size_t first, const char *token, int32_t *id, nlp_err *err)
{
	nlp_tokens t = {0};
	nlp_doc_ids d = {0};
	nlp_doc work = {0};
	int rc = nlp_tokens_push(&t, token, strlen(token)) ? NLP_ENOMEM : NLP_OK;

	if (rc)
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	else
		rc = nlp_pipeline_map_ids(p, &t, &d, &work, err);
	if (!rc && d.n != 1)
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "stage '%s' maps the token %s to %u ids; a language model needs "
		                 "one id a token",
		                 nlp_pipeline_stage_name(p, first), token, d.n);
	if (!rc)
		*id = d.ids[0];
	nlp_doc_ids_free(&d);
	free(work.ids);
	nlp_tokens_free(&t);
	return rc;
}

const char *nlp_lm_token(const nlp_pipeline *p, size_t first, int32_t id)
{
	const nlp_train_ops *ops = nlp_pipeline_stage_class(p, first)->train;

	if (!ops || !NLP_HAS_FIELD(ops, nlp_train_ops, token) || !ops->token)
		return NULL;
	return ops->token(nlp_pipeline_stage_instance(p, first), id);
}

/* ---- streams ---- */

/* The window buffers for cells = T x B steps and B streams. */
static int window_buffers(nlp_lm_stream *ls, size_t cells, int B)
{
	if (cells > ls->cap_win) {
		int32_t *ids = realloc(ls->ids, cells * sizeof *ids);
		int32_t *next = ids ? realloc(ls->next, cells * sizeof *next) : NULL;
		uint8_t *rst = next ? realloc(ls->rst, cells * sizeof *rst) : NULL;
		ls->ids = ids ? ids : ls->ids;
		ls->next = next ? next : ls->next;
		ls->rst = rst ? rst : ls->rst;
		if (!rst)
			return NLP_ENOMEM;
		ls->cap_win = cells;
	}
	free(ls->len);
	ls->len = malloc((size_t)B * sizeof *ls->len);
	return ls->len ? NLP_OK : NLP_ENOMEM;
}

int nlp_lm_stream_build(nlp_lm_stream *ls, const nlp_doc_ids *docs, const size_t *order, size_t n,
                        int32_t eos, int B, int T, int reset, nlp_err *err)
{
	size_t total = 1, k = 1, cap = ls->cap;
	int rc;

	for (size_t i = 0; i < n; i++)
		total += docs[order[i]].n;
	if (total < 3)
		return nlp_err_set(err, NLP_EDATA,
		                   "the training text has %zu tokens; a language model needs more",
		                   total - 1);
	rc = nlp_grow(&ls->s, &cap, total, sizeof *ls->s);
	if (!rc) {
		cap = ls->cap;
		rc = nlp_grow(&ls->start, &cap, total, sizeof *ls->start);
	}
	if (rc)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	ls->cap = cap;
	ls->s[0] = eos;
	ls->start[0] = 1;
	for (size_t i = 0; i < n; i++) {
		const nlp_doc_ids *d = &docs[order[i]];
		if (!d->n)
			continue;
		memcpy(ls->s + k, d->ids, d->n * sizeof *d->ids);
		memset(ls->start + k, 0, d->n);
		k += d->n;
		ls->start[k - 1] = 1; /* its closing eos opens the next document */
	}
	ls->n = total;
	if (B < 1)
		B = 1;
	if (total / (size_t)B < 2)
		B = (int)(total / 2);
	ls->B = B;
	ls->T = T < 1 ? 1 : T;
	ls->L = total / (size_t)B;
	ls->windows = (ls->L - 1 + (size_t)ls->T - 1) / (size_t)ls->T;
	ls->reset = reset;
	if (window_buffers(ls, (size_t)ls->T * (size_t)B, B))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

void nlp_lm_stream_window(nlp_lm_stream *ls, size_t w, nlp_batch *b)
{
	const size_t t0 = w * (size_t)ls->T, B = (size_t)ls->B;
	const int Tw = (int)(ls->L - 1 - t0 < (size_t)ls->T ? ls->L - 1 - t0 : (size_t)ls->T);

	for (size_t t = 0; t < (size_t)Tw; t++) {
		for (size_t c = 0; c < B; c++) {
			const size_t pos = c * ls->L + t0 + t;
			ls->ids[t * B + c] = ls->s[pos];
			ls->next[t * B + c] = ls->s[pos + 1];
			ls->rst[t * B + c] = ls->start[pos];
		}
	}
	for (size_t c = 0; c < B; c++)
		ls->len[c] = Tw;
	b->B = ls->B;
	b->T = Tw;
	b->ids = ls->ids;
	b->len = ls->len;
	b->labels = NULL;
	b->targets = NULL;
	b->weights = NULL;
	b->next_ids = ls->next;
	b->carry = w > 0;
	b->reset = ls->reset ? ls->rst : NULL;
}

void nlp_lm_stream_free(nlp_lm_stream *ls)
{
	free(ls->s);
	free(ls->start);
	free(ls->ids);
	free(ls->next);
	free(ls->rst);
	free(ls->len);
	memset(ls, 0, sizeof *ls);
}

/* ---- checkpoints ---- */

/* Stage i's carried op, or NULL. */
static int (*carried_op(const nlp_pipeline *p, size_t i))(void *, nlp_buf *, nlp_cursor *,
                                                          nlp_err *)
{
	const nlp_train_ops *t = nlp_pipeline_stage_class(p, i)->train;

	return t && NLP_HAS_FIELD(t, nlp_train_ops, carried) ? t->carried : NULL;
}

int nlp_lm_carried_save(nlp_pipeline *p, size_t first, nlp_buf *out, nlp_err *err)
{
	const size_t n = nlp_pipeline_stage_count(p);
	nlp_buf one = {0};
	int rc = NLP_OK;

	if (nlp_buf_put_u32(out, (uint32_t)(n - first)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t i = first; i < n && !rc; i++) {
		one.len = 0;
		if (carried_op(p, i) &&
		    (rc = carried_op(p, i)(nlp_pipeline_stage_instance(p, i), &one, NULL, err)))
			rc = nlp_pipeline_stage_error(p, i, rc, err);
		else if (nlp_buf_put_u32(out, (uint32_t)one.len) ||
		         (one.len && nlp_buf_put(out, one.data, one.len)))
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	free(one.data);
	return rc;
}

int nlp_lm_carried_load(nlp_pipeline *p, size_t first, nlp_cursor *in, nlp_err *err)
{
	const size_t n = nlp_pipeline_stage_count(p);
	uint32_t count, len;
	int rc = NLP_OK;

	if (nlp_cursor_get_u32(in, &count) || count != n - first)
		return nlp_err_set(err, NLP_EDATA,
		                   "the checkpoint's carried state is for %u stages; the pipeline "
		                   "trains %zu",
		                   count, n - first);
	for (size_t i = first; i < n && !rc; i++) {
		nlp_cursor one;
		if (nlp_cursor_get_u32(in, &len) || (size_t)(in->end - in->p) < len)
			return nlp_err_set(err, NLP_EDATA,
			                   "the checkpoint's carried state is truncated");
		one.p = in->p;
		one.end = in->p + len;
		in->p += len;
		if (!len)
			continue;
		if (!carried_op(p, i))
			return nlp_err_set(
			        err, NLP_EDATA,
			        "the checkpoint holds a carried state for stage '%s' (%s), "
			        "which carries none",
			        nlp_pipeline_stage_name(p, i),
			        nlp_pipeline_stage_class(p, i)->name);
		rc = carried_op(p, i)(nlp_pipeline_stage_instance(p, i), NULL, &one, err);
		if (rc)
			rc = nlp_pipeline_stage_error(p, i, rc, err);
	}
	return rc;
}

/* ---- evaluation ---- */

double nlp_lm_nats(const nlp_lm_figures *f)
{
	return f->tokens ? f->nats / (double)f->tokens : 0.0;
}

double nlp_lm_bits(const nlp_lm_figures *f)
{
	return nlp_lm_nats(f) / log(2.0);
}

double nlp_lm_perplexity(const nlp_lm_figures *f)
{
	return exp(nlp_lm_nats(f));
}

/* The scores of a window: T x B x V probabilities, as the head must give. */
static int check_scores(const nlp_pipeline *p, const nlp_act *s, int T, int B, int V, nlp_err *err)
{
	const size_t last = nlp_pipeline_stage_count(p) - 1;

	if (s->T != T || s->B != B || s->D != V || !s->x)
		return nlp_err_set(
		        err, NLP_EINTERNAL,
		        "[%s] (%s): a next-token head must give T x B x V = %d x %d x %d "
		        "probabilities; it gave %d x %d x %d",
		        nlp_pipeline_stage_name(p, last), nlp_pipeline_stage_class(p, last)->name,
		        T, B, V, s->T, s->B, s->D);
	return NLP_OK;
}

/* Documents idx[0..B), window w of T steps (each reads eos, then its ids
 * but the last, and predicts its ids): fill ls's buffers and b. */
static int eval_window(nlp_lm_stream *ls, const nlp_doc_ids *docs, const size_t *idx, int B,
                       size_t w, int T, int32_t eos, nlp_batch *b)
{
	int Tw = 0;

	for (int c = 0; c < B; c++) {
		const nlp_doc_ids *d = &docs[idx[c]];
		const size_t t0 = w * (size_t)T;
		const int lb = d->n > t0 ? (int)(d->n - t0 < (size_t)T ? d->n - t0 : (size_t)T) : 0;
		ls->len[c] = lb;
		Tw = lb > Tw ? lb : Tw;
	}
	for (int t = 0; t < Tw; t++) {
		for (int c = 0; c < B; c++) {
			const nlp_doc_ids *d = &docs[idx[c]];
			const size_t pos = w * (size_t)T + (size_t)t,
			             at = (size_t)t * (size_t)B + c;
			const int in = t < ls->len[c];
			ls->ids[at] = !in ? 0 : pos == 0 ? eos : d->ids[pos - 1];
			ls->next[at] = in ? d->ids[pos] : -1;
		}
	}
	memset(b, 0, sizeof *b);
	b->B = B;
	b->T = Tw;
	b->ids = ls->ids;
	b->len = ls->len;
	b->next_ids = ls->next;
	b->carry = w > 0;
	return Tw;
}

/* Add the window's cross-entropy and counts to f. */
static void eval_add(const nlp_lm_stream *ls, const nlp_act *s, const nlp_batch *b, int32_t unk,
                     nlp_lm_figures *f)
{
	for (int t = 0; t < b->T; t++) {
		for (int c = 0; c < b->B; c++) {
			const size_t at = (size_t)t * (size_t)b->B + (size_t)c;
			const int32_t y = ls->next[at];
			double pr;
			if (y < 0)
				continue;
			pr = s->x[at * (size_t)s->D + (size_t)y];
			f->nats -= log(pr > 1e-30 ? pr : 1e-30);
			f->tokens++;
			f->oov += y == unk;
		}
	}
}

int nlp_lm_evaluate(nlp_pipeline *p, size_t first, const nlp_doc_ids *docs, size_t n, int32_t eos,
                    int32_t unk, int B, int T, nlp_lm_figures *f, nlp_err *err)
{
	const int V = nlp_lm_vocab_size(p, first);
	nlp_lm_stream ls = {0};
	size_t *idx = malloc((n ? n : 1) * sizeof *idx);
	nlp_rng rng;
	int rc = NLP_OK;

	memset(f, 0, sizeof *f);
	B = B < 1 ? 1 : B;
	T = T < 1 ? 1 : T;
	nlp_rng_seed(&rng, 1);
	if (!idx || window_buffers(&ls, (size_t)B * (size_t)T, B)) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	nlp_sort_by_length(idx, n, docs, 0); /* less padding; results do not depend on it */
	for (size_t i = 0; i < n && !rc; i += (size_t)B) {
		const int Bn = (int)(n - i < (size_t)B ? n - i : (size_t)B);
		for (size_t w = 0; !rc; w++) {
			nlp_batch b;
			nlp_act s;
			if (eval_window(&ls, docs, idx + i, Bn, w, T, eos, &b) == 0)
				break;
			b.rng = &rng;
			rc = nlp_chain_forward(p, first, &b, &s, err);
			if (!rc)
				rc = check_scores(p, &s, b.T, b.B, V, err);
			if (!rc)
				eval_add(&ls, &s, &b, unk, f);
		}
	}
	f->documents = n;
out:
	nlp_lm_stream_free(&ls);
	free(idx);
	return rc;
}

/* The ids of the end-of-document and of an unknown token. */
static int special_ids(nlp_pipeline *p, size_t first, int32_t *eos, int32_t *unk, nlp_err *err)
{
	int rc = nlp_lm_token_id(p, first, NLP_LM_EOS, eos, err);

	return rc ? rc : nlp_lm_token_id(p, first, "\x7f<no such word>\x7f", unk, err);
}

/* Append eos to every document's ids. */
static int append_eos(nlp_dataset *ds, int32_t eos, nlp_err *err)
{
	for (size_t i = 0; i < ds->n; i++) {
		nlp_doc_ids *d = &ds->docs[i];
		int32_t *q = realloc(d->ids, ((size_t)d->n + 1) * sizeof *q);
		if (!q)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		q[d->n++] = eos;
		d->ids = q;
	}
	return NLP_OK;
}

int nlp_lm_eval_files(nlp_model *m, nlp_host *h, const char *const *paths, size_t n_paths,
                      const nlp_reader_opts *ro, int threads, int batch, nlp_lm_figures *f,
                      nlp_err *err)
{
	nlp_pipeline *p = m->pipeline;
	const size_t first = nlp_pipeline_text_end(p);
	nlp_dataset ds = {0};
	int32_t eos, unk;
	int rc;

	memset(f, 0, sizeof *f);
	if (!nlp_pipeline_is_lm(p))
		return nlp_err_set(err, NLP_ECONFIG, "%s is not a language model", m->path);
	rc = special_ids(p, first, &eos, &unk, err);
	if (!rc)
		rc = nlp_dataset_read_text(&ds, h, p, first + 1, threads, 1, ro, paths, n_paths,
		                           err);
	if (!rc)
		rc = append_eos(&ds, eos, err);
	if (!rc)
		rc = nlp_lm_evaluate(p, first, ds.docs, ds.n, eos, unk, batch, 35, f, err);
	nlp_dataset_free(&ds);
	return rc;
}

/* ---- generation ---- */

/* The prompt's ids through the model's text stages and embedding. */
static int prompt_ids(nlp_pipeline *p, size_t first, const char *prompt, int32_t **ids, size_t *n,
                      nlp_err *err)
{
	nlp_pool *pool = NULL;
	nlp_text_job job;
	int rc;

	*ids = NULL;
	*n = 0;
	if (!prompt || !*prompt)
		return NLP_OK;
	memset(&job, 0, sizeof job);
	job.name = "--prompt";
	job.text = prompt;
	job.len = strlen(prompt);
	rc = nlp_pool_new(&pool, p, 1, first + 1, err);
	if (rc)
		return rc;
	nlp_pool_run(pool, &job, 1, 1);
	if (job.rc)
		rc = nlp_err_set(err, job.rc, "--prompt: %s", job.msg);
	*ids = job.ids;
	*n = job.n_ids;
	free(job.streams);
	nlp_tokens_free(&job.tokens);
	nlp_pool_free(pool);
	return rc;
}

typedef struct gen_pick {
	float logit;
	int32_t id;
} gen_pick;

static int pick_desc(const void *a, const void *b)
{
	const gen_pick *x = a, *y = b;

	if (x->logit != y->logit)
		return x->logit < y->logit ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sample an id from probabilities pr[0..V) at temperature temp among the
 * top_k most probable (0: all), never <pad> (0) or unk; work has V slots. */
static int32_t sample(const float *pr, int V, double temp, int top_k, int32_t unk, gen_pick *work,
                      nlp_rng *rng)
{
	int m = 0;
	double sum = 0, u;

	for (int32_t v = 1; v < V; v++)
		if (v != unk)
			work[m++] =
			        (gen_pick){(float)(log(pr[v] > 1e-30f ? pr[v] : 1e-30f) / temp), v};
	if (m == 0)
		return 0;
	qsort(work, (size_t)m, sizeof *work, pick_desc);
	if (top_k > 0 && top_k < m)
		m = top_k;
	for (int i = 0; i < m; i++)
		sum += exp((double)work[i].logit - (double)work[0].logit);
	u = (double)nlp_rng_uniform(rng) * sum;
	for (int i = 0; i < m; i++) {
		u -= exp((double)work[i].logit - (double)work[0].logit);
		if (u < 0)
			return work[i].id;
	}
	return work[m - 1].id;
}

/* One forward of ids[0..T) (one stream) from the carried state or zeros;
 * *pr: the last step's probabilities. */
static int gen_forward(nlp_pipeline *p, size_t first, const int32_t *ids, int T, int carry,
                       int32_t *next, nlp_rng *rng, int V, const float **pr, nlp_err *err)
{
	nlp_batch b;
	nlp_act s;
	int rc;

	memset(&b, 0, sizeof b);
	for (int t = 0; t < T; t++)
		next[t] = -1;
	b.B = 1;
	b.T = T;
	b.ids = ids;
	b.len = &T;
	b.next_ids = next;
	b.carry = carry;
	b.rng = rng;
	rc = nlp_chain_forward(p, first, &b, &s, err);
	if (!rc)
		rc = check_scores(p, &s, T, 1, V, err);
	if (!rc)
		*pr = s.x + (size_t)(T - 1) * (size_t)V;
	return rc;
}

static int check_gen_opts(const nlp_model *m, const nlp_lm_gen_opts *o, nlp_err *err)
{
	if (!nlp_pipeline_is_lm(m->pipeline))
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "%s is not a language model (its last stage does not predict the "
		        "next token): generate needs a model trained from a pipeline "
		        "that ends in next_token (see examples/lm.ini)",
		        m->path);
	if (o->max_tokens < 1)
		return nlp_err_set(err, NLP_ECONFIG, "-n %ld: generate at least 1 token",
		                   o->max_tokens);
	if (!(o->temperature > 0) || !isfinite(o->temperature))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "--temperature %g: use a number above 0 (1 samples the model's "
		                   "probabilities, lower is more conservative)",
		                   o->temperature);
	if (o->top_k < 0)
		return nlp_err_set(err, NLP_ECONFIG, "--top-k %d: use 0 (all) or more", o->top_k);
	return NLP_OK;
}

int nlp_lm_generate(nlp_model *m, const nlp_lm_gen_opts *o, nlp_lm_token_fn fn, void *user,
                    long *n_out, nlp_err *err)
{
	nlp_pipeline *p = m->pipeline;
	const size_t first = nlp_pipeline_text_end(p);
	const int V = nlp_lm_vocab_size(p, first);
	int32_t eos, unk, *pids = NULL, *ids = NULL, *next = NULL, id;
	size_t np = 0;
	gen_pick *work = NULL;
	const float *pr = NULL;
	nlp_rng rng;
	long k = 0;
	int rc;

	if (n_out)
		*n_out = 0;
	if ((rc = check_gen_opts(m, o, err)))
		return rc;
	rc = special_ids(p, first, &eos, &unk, err);
	if (!rc && !nlp_lm_token(p, first, eos))
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "stage '%s' cannot name its ids (nlp_train_ops.token): update "
		                 "its module",
		                 nlp_pipeline_stage_name(p, first));
	if (!rc)
		rc = prompt_ids(p, first, o->prompt, &pids, &np, err);
	if (rc)
		goto out;
	ids = malloc((np + 1) * sizeof *ids);
	next = malloc((np + 1) * sizeof *next);
	work = malloc((size_t)(V > 0 ? V : 1) * sizeof *work);
	if (!ids || !next || !work) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	ids[0] = eos; /* a document's context starts with it, as in training */
	if (np)
		memcpy(ids + 1, pids, np * sizeof *ids);
	nlp_rng_seed(&rng, o->seed);
	rc = gen_forward(p, first, ids, (int)np + 1, 0, next, &rng, V, &pr, err);
	for (; !rc && k < o->max_tokens; k++) {
		const char *tok;
		id = sample(pr, V, o->temperature, o->top_k, unk, work, &rng);
		if (id == eos)
			break;
		tok = nlp_lm_token(p, first, id);
		if (fn && fn(user, tok ? tok : "<?>")) {
			k++;
			break;
		}
		ids[0] = id;
		rc = gen_forward(p, first, ids, 1, 1, next, &rng, V, &pr, err);
	}
	if (n_out)
		*n_out = k;
out:
	free(work);
	free(next);
	free(ids);
	free(pids);
	return rc;
}
