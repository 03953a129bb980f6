/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/seq2seq.c - sequence-to-sequence models (nlpipe/seq2seq.h): what
 * makes a pipeline one, pair files read into pair documents, batches of
 * sources and decoder steps, and evaluation with teacher forcing. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/reader.h"
#include "nlpipe/seq2seq.h"
#include "pipeline/dataset.h"
#include "pipeline/internal.h"

int nlp_pipeline_is_s2s(const nlp_pipeline *p)
{
	const size_t n = nlp_pipeline_stage_count(p);

	return n && !strcmp(nlp_pipeline_stage_class(p, n - 1)->name, "decoder") &&
	       nlp_pipeline_stage_class(p, n - 1)->train;
}

int nlp_s2s_special_ids(nlp_pipeline *p, size_t first, int32_t *bos, int32_t *eos, nlp_err *err)
{
	int rc = nlp_lm_token_id(p, first, NLP_S2S_BOS, bos, err);

	return rc ? rc : nlp_lm_token_id(p, first, NLP_LM_EOS, eos, err);
}

/* ---- pair files ---- */

typedef struct s2s_lines {
	char **src, **tgt; /* [n] owned */
	char **name;       /* [n] FILE:LINE, owned */
	size_t n, cap;
} s2s_lines;

static void lines_free(s2s_lines *L)
{
	for (size_t i = 0; i < L->n; i++) {
		free(L->src[i]);
		free(L->tgt[i]);
		free(L->name[i]);
	}
	free(L->src);
	free(L->tgt);
	free(L->name);
	memset(L, 0, sizeof *L);
}

/* Append the pair of line (NUL-terminated, newline removed) of path:lineno. */
static int lines_add(s2s_lines *L, const char *path, unsigned long lineno, char *line, nlp_err *err)
{
	char *tab = strchr(line, '\t');
	char name[4096];

	if (!tab)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s:%lu: no TAB: a pair line is source<TAB>target", path,
		                   lineno);
	if (L->n == L->cap) {
		size_t cap = L->cap ? 2 * L->cap : 256;
		char **s = realloc(L->src, cap * sizeof *s);
		if (s)
			L->src = s;
		char **t = realloc(L->tgt, cap * sizeof *t);
		if (t)
			L->tgt = t;
		char **m = realloc(L->name, cap * sizeof *m);
		if (m)
			L->name = m;
		if (!s || !t || !m)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		L->cap = cap;
	}
	*tab = '\0';
	snprintf(name, sizeof name, "%s:%lu", path, lineno);
	L->src[L->n] = strdup(line);
	L->tgt[L->n] = strdup(tab + 1);
	L->name[L->n] = strdup(name);
	L->n++;
	if (!L->src[L->n - 1] || !L->tgt[L->n - 1] || !L->name[L->n - 1])
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

/* Every non-blank line of path as a pair. */
static int read_pairs(s2s_lines *L, const char *path, nlp_err *err)
{
	nlp_line_reader lr = {0};
	FILE *f = NULL;
	int rc = nlp_open_regular(path, &f);

	if (rc < 0)
		return nlp_err_set(err, NLP_EIO, "%s: cannot open: %s", path, strerror(errno));
	if (rc > 0)
		return nlp_err_set(err, NLP_EIO,
		                   "%s: not a regular file: pairs are read from line files of "
		                   "source<TAB>target",
		                   path);
	lr.f = f;
	lr.path = path;
	lr.max = 1u << 20;
	lr.what = "a source<TAB>target pair";
	while (!(rc = nlp_line_reader_next(&lr, err)) && lr.len) {
		char *s = lr.line;
		size_t n = strlen(s);
		while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			s[--n] = '\0';
		if (n && (rc = lines_add(L, path, lr.lineno, s, err)))
			break;
	}
	nlp_line_reader_free(&lr);
	fclose(f);
	return rc;
}

/* The pair document i from the jobs of its source (2i) and target (2i + 1). */
static int pair_doc(nlp_dataset *ds, size_t i, nlp_text_job *js, int want_ids, int32_t bos,
                    int32_t eos, nlp_err *err)
{
	nlp_doc_ids *d = &ds->docs[i];

	for (int k = 0; k < 2; k++)
		if (js[k].rc)
			return nlp_err_set(err, js[k].rc, "%s (%s): %s", js[k].name,
			                   k ? "target" : "source", js[k].msg);
	if (js[0].streams || js[1].streams)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "a sequence-to-sequence model reads one token stream: use one "
		                   "embedding");
	d->label = 0;
	if (want_ids) {
		const size_t n = js[0].n_ids + js[1].n_ids + 2;
		d->ids = malloc(n * sizeof *d->ids);
		if (!d->ids)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		memcpy(d->ids, js[0].ids, js[0].n_ids * sizeof *d->ids);
		d->ids[js[0].n_ids] = bos;
		memcpy(d->ids + js[0].n_ids + 1, js[1].ids, js[1].n_ids * sizeof *d->ids);
		d->ids[n - 1] = eos;
		d->n = (uint32_t)n;
	} else {
		nlp_tokens *t = &ds->tokens[i];
		int bad = 0;
		for (size_t k = 0; k < js[0].tokens.n; k++)
			bad |= nlp_tokens_push(t, nlp_token(&js[0].tokens, k),
			                       js[0].tokens.tlen[k]);
		bad |= nlp_tokens_push(t, NLP_S2S_BOS, strlen(NLP_S2S_BOS));
		for (size_t k = 0; k < js[1].tokens.n; k++)
			bad |= nlp_tokens_push(t, nlp_token(&js[1].tokens, k),
			                       js[1].tokens.tlen[k]);
		bad |= nlp_tokens_push(t, NLP_LM_EOS, strlen(NLP_LM_EOS));
		if (bad)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		d->n = (uint32_t)t->n;
	}
	ds->tokens_total += d->n;
	return NLP_OK;
}

static void jobs_free(nlp_text_job *jobs, size_t n)
{
	for (size_t i = 0; jobs && i < n; i++) {
		nlp_tokens_free(&jobs[i].tokens);
		free(jobs[i].ids);
		free(jobs[i].streams);
	}
	free(jobs);
}

int nlp_s2s_read(nlp_dataset *ds, nlp_pipeline *p, size_t end, int threads, int want_ids,
                 int32_t bos, int32_t eos, const char *const *paths, size_t n_paths, nlp_err *err)
{
	s2s_lines L = {0};
	nlp_text_job *jobs = NULL;
	nlp_pool *pool = NULL;
	int rc = NLP_OK;

	memset(ds, 0, sizeof *ds);
	for (size_t i = 0; i < n_paths && !rc; i++)
		rc = read_pairs(&L, paths[i], err);
	if (!rc && !(jobs = calloc(2 * L.n + 1, sizeof *jobs)))
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (!rc)
		rc = nlp_pool_new(&pool, p, threads, end, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < L.n; i++) {
		jobs[2 * i] = (nlp_text_job){.name = L.name[i], .text = L.src[i]};
		jobs[2 * i].len = strlen(L.src[i]);
		jobs[2 * i + 1] = (nlp_text_job){.name = L.name[i], .text = L.tgt[i]};
		jobs[2 * i + 1].len = strlen(L.tgt[i]);
	}
	nlp_pool_run(pool, jobs, 2 * L.n, want_ids);
	ds->docs = calloc(L.n + 1, sizeof *ds->docs);
	ds->tokens = want_ids ? NULL : calloc(L.n + 1, sizeof *ds->tokens);
	if (!ds->docs || (!want_ids && !ds->tokens)) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	ds->cap = L.n + 1;
	for (size_t i = 0; i < L.n && !rc; i++) {
		rc = pair_doc(ds, i, jobs + 2 * i, want_ids, bos, eos, err);
		ds->n = i + 1;
	}
	ds->stats.docs = ds->n;
out:
	nlp_pool_free(pool);
	jobs_free(jobs, 2 * L.n);
	lines_free(&L);
	if (rc)
		nlp_dataset_free(ds);
	return rc;
}

/* ---- batches ---- */

static int grow(void *pp, size_t *cap, size_t n, size_t elem)
{
	void **p = pp;
	if (n <= *cap)
		return 0;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* Where a pair's bos is, or -1. */
static int bos_at(const nlp_doc_ids *d, int32_t bos)
{
	for (uint32_t i = 0; i < d->n; i++)
		if (d->ids[i] == bos)
			return (int)i;
	return -1;
}

int nlp_s2s_batch_fill(nlp_s2s_batch *sb, const nlp_doc_ids *docs, const size_t *idx, int B,
                       int32_t bos, nlp_err *err)
{
	int T = 0, U = 0;

	for (int j = 0; j < B; j++) {
		const nlp_doc_ids *d = &docs[idx[j]];
		const int k = bos_at(d, bos);
		if (k < 0 || (uint32_t)k + 1 >= d->n)
			return nlp_err_set(err, NLP_EINTERNAL, "a pair without its start token");
		T = k > T ? k : T;
		U = (int)d->n - k - 1 > U ? (int)d->n - k - 1 : U;
	}
	T = T ? T : 1;
	if (grow(&sb->len, &sb->cap_len, (size_t)B, sizeof *sb->len) ||
	    grow(&sb->dec_len, &sb->cap_dlen, (size_t)B, sizeof *sb->dec_len) ||
	    grow(&sb->ids, &sb->cap_ids, (size_t)T * B, sizeof *sb->ids) ||
	    grow(&sb->dec_ids, &sb->cap_dids, (size_t)U * B, sizeof *sb->dec_ids) ||
	    grow(&sb->dec_next, &sb->cap_dnext, (size_t)U * B, sizeof *sb->dec_next))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int j = 0; j < B; j++) {
		const nlp_doc_ids *d = &docs[idx[j]];
		const int k = bos_at(d, bos), u_n = (int)d->n - k - 1;
		sb->len[j] = k;
		sb->dec_len[j] = u_n;
		for (int t = 0; t < T; t++)
			sb->ids[(size_t)t * B + j] = t < k ? d->ids[t] : 0;
		for (int u = 0; u < U; u++) {
			sb->dec_ids[(size_t)u * B + j] = u < u_n ? d->ids[k + u] : 0;
			sb->dec_next[(size_t)u * B + j] = u < u_n ? d->ids[k + u + 1] : -1;
		}
	}
	memset(&sb->b, 0, sizeof sb->b);
	sb->b.B = B;
	sb->b.T = T;
	sb->b.ids = sb->ids;
	sb->b.len = sb->len;
	sb->b.U = U;
	sb->b.dec_ids = sb->dec_ids;
	sb->b.dec_len = sb->dec_len;
	sb->b.dec_next = sb->dec_next;
	return NLP_OK;
}

void nlp_s2s_batch_free(nlp_s2s_batch *sb)
{
	free(sb->ids);
	free(sb->dec_ids);
	free(sb->dec_next);
	free(sb->len);
	free(sb->dec_len);
	memset(sb, 0, sizeof *sb);
}

/* ---- evaluation ---- */

/* Add the figures of a forward's probabilities s [U x B x V] of sb. */
static void eval_add(const nlp_s2s_batch *sb, const nlp_act *s, nlp_s2s_figures *f)
{
	const int B = sb->b.B, V = s->D;

	for (int j = 0; j < B; j++) {
		int all = 1;
		for (int u = 0; u < sb->dec_len[j]; u++) {
			const float *pr = s->x + ((size_t)u * B + j) * V;
			const int32_t y = sb->dec_next[(size_t)u * B + j];
			int best = 0;
			for (int c = 1; c < V; c++)
				best = pr[c] > pr[best] ? c : best;
			f->tokens++;
			f->correct += best == y;
			all &= best == y;
			f->nats -= log(pr[y] > 1e-30f ? pr[y] : 1e-30f);
		}
		f->exact += all;
		f->pairs++;
	}
}

int nlp_s2s_evaluate(nlp_pipeline *p, size_t first, const nlp_doc_ids *docs, size_t n, int32_t bos,
                     int B, nlp_s2s_figures *f, nlp_err *err)
{
	nlp_s2s_batch sb = {0};
	size_t *idx = malloc((n ? n : 1) * sizeof *idx);
	nlp_act s;
	int rc = idx ? NLP_OK : nlp_err_set(err, NLP_ENOMEM, "out of memory");

	memset(f, 0, sizeof *f);
	for (size_t i = 0; idx && i < n; i++)
		idx[i] = i;
	for (size_t at = 0; !rc && at < n; at += (size_t)B) {
		const int nb = n - at < (size_t)B ? (int)(n - at) : B;
		rc = nlp_s2s_batch_fill(&sb, docs, idx + at, nb, bos, err);
		if (!rc)
			rc = nlp_chain_forward(p, first, &sb.b, &s, err);
		if (!rc)
			eval_add(&sb, &s, f);
	}
	nlp_s2s_batch_free(&sb);
	free(idx);
	return rc;
}
