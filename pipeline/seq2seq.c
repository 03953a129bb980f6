/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/seq2seq.c - sequence-to-sequence models (nlpipe/seq2seq.h): what
 * makes a pipeline one, pair files (and folders of paired files) read into
 * pair documents, batches of sources and decoder steps, evaluation with
 * teacher forcing, decoding (greedy and beam search) and scores. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The decoder's target_id op, or NULL (a module older than it). */
static int32_t (*target_op(const nlp_pipeline *p))(void *, const char *, size_t)
{
	const nlp_train_ops *t =
	        nlp_pipeline_stage_class(p, nlp_pipeline_stage_count(p) - 1)->train;

	return NLP_HAS_FIELD(t, nlp_train_ops, target_id) ? t->target_id : NULL;
}

/* The id of the target token tok in the decoder's own vocabulary. */
static int32_t target_id(const nlp_pipeline *p, const char *tok, size_t len)
{
	return target_op(p)(nlp_pipeline_stage_instance(p, nlp_pipeline_stage_count(p) - 1), tok,
	                    len);
}

int nlp_s2s_own_vocab(const nlp_pipeline *p)
{
	return nlp_pipeline_is_s2s(p) && target_op(p) &&
	       target_id(p, NLP_S2S_BOS, strlen(NLP_S2S_BOS)) >= 0;
}

int nlp_s2s_special_ids(nlp_pipeline *p, size_t first, int32_t *bos, int32_t *eos, nlp_err *err)
{
	int rc;

	if (nlp_s2s_own_vocab(p)) {
		*bos = target_id(p, NLP_S2S_BOS, strlen(NLP_S2S_BOS));
		*eos = target_id(p, NLP_LM_EOS, strlen(NLP_LM_EOS));
		return NLP_OK;
	}
	rc = nlp_lm_token_id(p, first, NLP_S2S_BOS, bos, err);
	return rc ? rc : nlp_lm_token_id(p, first, NLP_LM_EOS, eos, err);
}

const char *nlp_s2s_token(const nlp_pipeline *p, size_t first, int32_t id)
{
	const size_t last = nlp_pipeline_stage_count(p) - 1;

	const nlp_train_ops *t = nlp_pipeline_stage_class(p, last)->train;

	if (!nlp_s2s_own_vocab(p))
		return nlp_lm_token(p, first, id);
	return t->token ? t->token(nlp_pipeline_stage_instance(p, last), id) : NULL;
}

int nlp_s2s_vocab_size(const nlp_pipeline *p, size_t first)
{
	return nlp_s2s_own_vocab(p) ? nlp_pipeline_stage_dim(p, nlp_pipeline_stage_count(p) - 1)
	                            : nlp_lm_vocab_size(p, first);
}

/* The ids of the target tokens t in the decoder's own vocabulary, between
 * bos and eos, appended to ids (room for t->n + 2). */
static void target_ids(const nlp_pipeline *p, const nlp_tokens *t, int32_t bos, int32_t eos,
                       int32_t *ids)
{
	ids[0] = bos;
	for (size_t k = 0; k < t->n; k++)
		ids[k + 1] = target_id(p, nlp_token(t, k), t->tlen[k]);
	ids[t->n + 1] = eos;
}

int nlp_s2s_observe(nlp_pipeline *p, const nlp_tokens *tokens, const uint32_t *streams,
                    nlp_err *err)
{
	const size_t last = nlp_pipeline_stage_count(p) - 1;
	nlp_tokens v = *tokens;
	nlp_doc d = {0};
	uint32_t at, len;
	int rc;

	if (!streams || !nlp_s2s_own_vocab(p))
		return NLP_OK;
	nlp_doc_stream(streams, (uint32_t)tokens->n, 1, &at, &len);
	if (len < 2)
		return nlp_err_set(err, NLP_EINTERNAL, "a pair without its start and end tokens");
	/* the target's tokens, without bos and eos */
	v.off = tokens->off + at + 1;
	v.tlen = tokens->tlen + at + 1;
	v.n = len - 2;
	v.cap = v.ncap = 0;
	d.name = "pair";
	d.in = &v;
	d.label = -1;
	rc = nlp_pipeline_stage_class(p, last)->train->observe(nlp_pipeline_stage_instance(p, last),
	                                                       &d, err);
	return rc ? nlp_pipeline_stage_error(p, last, rc, err) : NLP_OK;
}

int nlp_s2s_map_pair(nlp_pipeline *p, const nlp_tokens *tokens, nlp_doc_ids *d, nlp_doc *work,
                     nlp_err *err)
{
	nlp_tokens v = *tokens, tv = *tokens;
	uint32_t *streams = d->streams;
	int32_t bos, eos, *ids;
	uint32_t at, len;
	int rc;

	if (!streams || !nlp_s2s_own_vocab(p))
		return nlp_pipeline_map_ids(p, tokens, d, work, err);
	nlp_doc_stream(streams, (uint32_t)tokens->n, 1, &at, &len);
	v.n = at; /* the source */
	v.cap = v.ncap = 0;
	tv.off = tokens->off + at + 1;
	tv.tlen = tokens->tlen + at + 1;
	tv.n = len >= 2 ? len - 2 : 0;
	tv.cap = tv.ncap = 0;
	d->streams = NULL;
	rc = nlp_pipeline_map_ids(p, &v, d, work, err);
	d->streams = streams;
	if (!rc)
		rc = nlp_s2s_special_ids(p, 0, &bos, &eos, err);
	if (rc)
		return rc;
	if (!(ids = realloc(d->ids, ((size_t)d->n + tv.n + 2) * sizeof *ids)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	d->ids = ids;
	target_ids(p, &tv, bos, eos, ids + d->n);
	streams[1] = d->n;
	d->n += (uint32_t)tv.n + 2;
	return NLP_OK;
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

/* Append the pair src, tgt of path:lineno. */
static int lines_add(s2s_lines *L, const char *path, unsigned long lineno, const char *src,
                     const char *tgt, nlp_err *err)
{
	char name[4096];

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
	snprintf(name, sizeof name, "%s:%lu", path, lineno);
	L->src[L->n] = strdup(src);
	L->tgt[L->n] = strdup(tgt);
	L->name[L->n] = strdup(name);
	L->n++;
	if (!L->src[L->n - 1] || !L->tgt[L->n - 1] || !L->name[L->n - 1])
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

/* Append the pair of line (NUL-terminated, newline removed) of path:lineno,
 * source<TAB>target. */
static int lines_add_tab(s2s_lines *L, const char *path, unsigned long lineno, char *line,
                         nlp_err *err)
{
	char *tab = strchr(line, '\t');

	if (!tab)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s:%lu: no TAB: a pair line is source<TAB>target", path,
		                   lineno);
	*tab = '\0';
	return lines_add(L, path, lineno, line, tab + 1, err);
}

/* The next line of lr without its newline into *len (0 at the end). */
static int next_line(nlp_line_reader *lr, size_t *len, nlp_err *err)
{
	int rc = nlp_line_reader_next(lr, err);
	size_t n = rc || !lr->len ? 0 : strlen(lr->line);

	while (n && (lr->line[n - 1] == '\n' || lr->line[n - 1] == '\r'))
		lr->line[--n] = '\0';
	*len = lr->len;
	return rc;
}

/* The pairs of the paired files sp and tp: line k of one is the source,
 * of the other the target; lines blank in both are skipped. */
static int read_aligned(s2s_lines *L, const char *sp, const char *tp, nlp_err *err)
{
	nlp_line_reader a = {.path = sp, .max = 1u << 20, .what = "a source text"};
	nlp_line_reader b = {.path = tp, .max = 1u << 20, .what = "a target text"};
	size_t la = 1, lb = 1;
	int rc = NLP_OK;

	errno = 0;
	if (nlp_open_regular(sp, &a.f) || nlp_open_regular(tp, &b.f))
		rc = nlp_err_set(err, NLP_EIO, "%s: cannot open: %s", a.f ? tp : sp,
		                 errno ? strerror(errno) : "not a regular file");
	while (!rc && !(rc = next_line(&a, &la, err)) && !(rc = next_line(&b, &lb, err)) &&
	       (la || lb)) {
		if (!la || !lb)
			rc = nlp_err_set(
			        err, NLP_EDATA,
			        "%s ends after line %lu, but %s goes on: paired files have "
			        "a line each for every pair",
			        la ? tp : sp, la ? b.lineno : a.lineno, la ? sp : tp);
		else if (*a.line || *b.line)
			rc = lines_add(L, sp, a.lineno, a.line, b.line, err);
	}
	nlp_line_reader_free(&a);
	nlp_line_reader_free(&b);
	if (a.f)
		fclose(a.f);
	if (b.f)
		fclose(b.f);
	return rc;
}

/* Whether name ends in ext; its length without it in *stem. */
static int has_ext(const char *name, const char *ext, size_t *stem)
{
	const size_t n = strlen(name), e = strlen(ext);
	*stem = n > e ? n - e : 0;
	return n > e && !strcmp(name + n - e, ext);
}

/* A folder of paired files: every NAME.src with its NAME.tgt (in name
 * order); any other file (but hidden ones) is an error naming it. */
static int read_pair_folder(s2s_lines *L, const char *dir, nlp_err *err)
{
	struct dirent **e = NULL;
	const int n = scandir(dir, &e, NULL, alphasort);
	char *sp = NULL, *tp = NULL;
	int rc = n < 0 ? nlp_err_set(err, NLP_EIO, "%s: cannot list: %s", dir, strerror(errno))
	               : NLP_OK;

	for (int i = 0; !rc && i < n; i++) {
		const char *nm = e[i]->d_name;
		const size_t len = strlen(dir) + strlen(nm) + 8;
		size_t stem;
		int src;
		if (*nm == '.')
			continue;
		src = has_ext(nm, ".src", &stem);
		free(sp);
		free(tp);
		sp = malloc(len);
		tp = malloc(len);
		if (!sp || !tp) {
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			break;
		}
		if (!src && !has_ext(nm, ".tgt", &stem)) {
			rc = nlp_err_set(err, NLP_EDATA,
			                 "%s/%s: a folder of pairs holds paired files NAME.src and "
			                 "NAME.tgt (line k of the one, the source of line k of the "
			                 "other)",
			                 dir, nm);
			break;
		}
		snprintf(sp, len, "%s/%.*s.src", dir, (int)stem, nm);
		snprintf(tp, len, "%s/%.*s.tgt", dir, (int)stem, nm);
		if (access(src ? tp : sp, F_OK))
			rc = nlp_err_set(err, NLP_EDATA, "%s/%s: no %s beside it to pair it with",
			                 dir, nm, src ? tp : sp);
		else if (src)
			rc = read_aligned(L, sp, tp, err);
	}
	for (int i = 0; i < n; i++)
		free(e[i]);
	free(e);
	free(sp);
	free(tp);
	return rc;
}

/* Every non-blank line of path as a pair; a folder: read_pair_folder. */
static int read_pairs(s2s_lines *L, const char *path, nlp_err *err)
{
	nlp_line_reader lr = {0};
	FILE *f = NULL;
	struct stat st;
	int rc;

	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return read_pair_folder(L, path, err);
	rc = nlp_open_regular(path, &f);
	if (rc < 0)
		return nlp_err_set(err, NLP_EIO, "%s: cannot open: %s", path, strerror(errno));
	if (rc > 0)
		return nlp_err_set(err, NLP_EIO,
		                   "%s: not a regular file: pairs are read from line files of "
		                   "source<TAB>target or folders of paired files NAME.src and "
		                   "NAME.tgt",
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
		if (n && (rc = lines_add_tab(L, path, lr.lineno, s, err)))
			break;
	}
	nlp_line_reader_free(&lr);
	fclose(f);
	return rc;
}

/* The pair document i of p from the jobs of its source and target. */
static int pair_doc(nlp_dataset *ds, const nlp_pipeline *p, size_t i, const nlp_text_job *sj,
                    const nlp_text_job *tj, int want_ids, int32_t bos, int32_t eos, nlp_err *err)
{
	nlp_doc_ids *d = &ds->docs[i];
	const nlp_text_job *const js[2] = {sj, tj};
	const int own = nlp_s2s_own_vocab(p);

	for (int k = 0; k < 2; k++)
		if (js[k]->rc)
			return nlp_err_set(err, js[k]->rc, "%s (%s): %s", js[k]->name,
			                   k ? "target" : "source", js[k]->msg);
	if (js[0]->streams || js[1]->streams)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "a sequence-to-sequence model reads one token stream: use one "
		                   "embedding");
	d->label = 0;
	if (own && !(d->streams = calloc(2, sizeof *d->streams)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (own && want_ids) {
		const size_t n = js[0]->n_ids + js[1]->tokens.n + 2;
		d->ids = malloc(n * sizeof *d->ids);
		if (!d->ids)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		memcpy(d->ids, js[0]->ids, js[0]->n_ids * sizeof *d->ids);
		target_ids(p, &js[1]->tokens, bos, eos, d->ids + js[0]->n_ids);
		d->n = (uint32_t)n;
	} else if (want_ids) {
		const size_t n = js[0]->n_ids + js[1]->n_ids + 2;
		d->ids = malloc(n * sizeof *d->ids);
		if (!d->ids)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		memcpy(d->ids, js[0]->ids, js[0]->n_ids * sizeof *d->ids);
		d->ids[js[0]->n_ids] = bos;
		memcpy(d->ids + js[0]->n_ids + 1, js[1]->ids, js[1]->n_ids * sizeof *d->ids);
		d->ids[n - 1] = eos;
		d->n = (uint32_t)n;
	} else {
		nlp_tokens *t = &ds->tokens[i];
		int bad = 0;
		for (size_t k = 0; k < js[0]->tokens.n; k++)
			bad |= nlp_tokens_push(t, nlp_token(&js[0]->tokens, k),
			                       js[0]->tokens.tlen[k]);
		bad |= nlp_tokens_push(t, NLP_S2S_BOS, strlen(NLP_S2S_BOS));
		for (size_t k = 0; k < js[1]->tokens.n; k++)
			bad |= nlp_tokens_push(t, nlp_token(&js[1]->tokens, k),
			                       js[1]->tokens.tlen[k]);
		bad |= nlp_tokens_push(t, NLP_LM_EOS, strlen(NLP_LM_EOS));
		if (bad)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		d->n = (uint32_t)t->n;
	}
	if (own) { /* stream 0 the source, 1 bos, the target, eos */
		d->streams[0] = 2;
		d->streams[1] = (uint32_t)(want_ids ? js[0]->n_ids : js[0]->tokens.n);
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
	int rc = NLP_OK, own;

	memset(ds, 0, sizeof *ds);
	for (size_t i = 0; i < n_paths && !rc; i++)
		rc = read_pairs(&L, paths[i], err);
	if (!rc && !(jobs = calloc(2 * L.n + 1, sizeof *jobs)))
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (!rc)
		rc = nlp_pool_new(&pool, p, threads, end, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < L.n; i++) { /* the sources, then the targets */
		jobs[i] = (nlp_text_job){.name = L.name[i], .text = L.src[i]};
		jobs[i].len = strlen(L.src[i]);
		jobs[L.n + i] = (nlp_text_job){.name = L.name[i], .text = L.tgt[i]};
		jobs[L.n + i].len = strlen(L.tgt[i]);
	}
	/* an own target vocabulary maps the targets' tokens itself */
	own = nlp_s2s_own_vocab(p);
	nlp_pool_run(pool, jobs, own ? L.n : 2 * L.n, want_ids);
	if (own)
		nlp_pool_run(pool, jobs + L.n, L.n, 0);
	ds->docs = calloc(L.n + 1, sizeof *ds->docs);
	ds->tokens = want_ids ? NULL : calloc(L.n + 1, sizeof *ds->tokens);
	if (!ds->docs || (!want_ids && !ds->tokens)) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	ds->cap = L.n + 1;
	for (size_t i = 0; i < L.n && !rc; i++) {
		rc = pair_doc(ds, p, i, jobs + i, jobs + L.n + i, want_ids, bos, eos, err);
		ds->n = i + 1;
	}
	ds->stats.docs = ds->n;
	ds->stats.files = n_paths;
	for (size_t i = 0; i < L.n; i++)
		ds->stats.bytes += strlen(L.src[i]) + strlen(L.tgt[i]) + 2;
out:
	nlp_pool_free(pool);
	jobs_free(jobs, 2 * L.n);
	lines_free(&L);
	if (rc)
		nlp_dataset_free(ds);
	return rc;
}

/* A pair's border: where its bos is in d->ids (its streams say so with an
 * own target vocabulary, whose ids may equal the source's; else the first
 * bos), or -1. */
static int border(const nlp_doc_ids *d, int32_t bos)
{
	if (d->streams)
		return d->streams[0] == 2 && d->streams[1] < d->n ? (int)d->streams[1] : -1;
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
		const int k = border(d, bos);
		if (k < 0 || (uint32_t)k + 1 >= d->n)
			return nlp_err_set(err, NLP_EINTERNAL, "a pair without its start token");
		T = k > T ? k : T;
		U = (int)d->n - k - 1 > U ? (int)d->n - k - 1 : U;
	}
	T = T ? T : 1;
	if (nlp_grow_exact(&sb->len, &sb->cap_len, (size_t)B, sizeof *sb->len) ||
	    nlp_grow_exact(&sb->dec_len, &sb->cap_dlen, (size_t)B, sizeof *sb->dec_len) ||
	    nlp_grow_exact(&sb->ids, &sb->cap_ids, (size_t)T * B, sizeof *sb->ids) ||
	    nlp_grow_exact(&sb->dec_ids, &sb->cap_dids, (size_t)U * B, sizeof *sb->dec_ids) ||
	    nlp_grow_exact(&sb->dec_next, &sb->cap_dnext, (size_t)U * B, sizeof *sb->dec_next))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int j = 0; j < B; j++) {
		const nlp_doc_ids *d = &docs[idx[j]];
		const int k = border(d, bos), u_n = (int)d->n - k - 1;
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

/* ---- decoding ---- */

typedef struct s2s_hyp {
	int32_t *ids; /* [max_len + 1]: bos, then the tokens */
	int n;        /* ids used */
	int from;     /* the hypothesis of the step before it continues */
	double score; /* summed log probability */
} s2s_hyp;

typedef struct s2s_cand {
	double score;
	int from;
	int32_t id;
} s2s_cand;

static int cand_desc(const void *a, const void *b)
{
	const s2s_cand *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->from != y->from ? x->from - y->from : (int)(x->id - y->id);
}

/* The beam's state: live hypotheses (the batch), the best finished one. */
typedef struct s2s_beam {
	int K, V, max_len, n_live;
	int n_cand; /* candidates kept a step: 1 (greedy), else 2K */
	int n_done; /* finished hypotheses */
	s2s_hyp *live, *next;
	s2s_cand *cand; /* [n_cand] */
	nlp_s2s_batch sb;
	int *from; /* [K] the batch's dec_from */
	int steps; /* 1: the decoder decodes step by step (ABI 2.5) */
	int32_t *best;
	int n_best;
	double best_score; /* normalized */
	int have_best;
} s2s_beam;

static double normalized(double score, int n, double alpha)
{
	return alpha > 0 ? score / pow((double)n + 1.0, alpha) : score;
}

/* Whether the decoder (the last stage) decodes step by step: its module
 * knows nlp_batch.carry and dec_from for decoders (plugin ABI 2.5). */
static int decodes_by_step(const nlp_pipeline *p)
{
	const nlp_module_info *mi = nlp_pipeline_stage_module(p, nlp_pipeline_stage_count(p) - 1);
	return mi && mi->abi_major == 2 && mi->abi_minor >= 5;
}

/* The probabilities of the live hypotheses' next tokens (same source each)
 * into *pr (B rows of V).  By step (bm->steps): the first step runs the
 * whole chain on the source and bos, the others the decoder alone on the
 * hypotheses' last tokens from where their parents ended.  Else (a decoder
 * of a module older than ABI 2.5) every step runs the whole chain over
 * the source and the whole prefixes. */
static int beam_forward(nlp_pipeline *p, size_t first, s2s_beam *bm, const int32_t *src, int n_src,
                        const float **pr, nlp_err *err)
{
	const int B = bm->n_live, by_step = bm->steps && bm->live[0].n > 1;
	const int U = bm->steps ? 1 : bm->live[0].n, T = n_src ? n_src : 1, Tb = by_step ? 0 : T;
	nlp_s2s_batch *sb = &bm->sb;
	size_t at = first;
	nlp_act s;
	int rc;

	if (nlp_grow_exact(&sb->len, &sb->cap_len, (size_t)B, sizeof *sb->len) ||
	    nlp_grow_exact(&sb->dec_len, &sb->cap_dlen, (size_t)B, sizeof *sb->dec_len) ||
	    nlp_grow_exact(&sb->ids, &sb->cap_ids, (size_t)Tb * B + 1, sizeof *sb->ids) ||
	    nlp_grow_exact(&sb->dec_ids, &sb->cap_dids, (size_t)U * B, sizeof *sb->dec_ids))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int j = 0; j < B; j++) {
		const s2s_hyp *h = &bm->live[j];
		sb->len[j] = n_src;
		sb->dec_len[j] = U;
		for (int t = 0; t < Tb; t++)
			sb->ids[(size_t)t * B + j] = t < n_src ? src[t] : 0;
		for (int u = 0; u < U; u++)
			sb->dec_ids[(size_t)u * B + j] = h->ids[h->n - U + u];
		bm->from[j] = h->from;
	}
	sb->b = (nlp_batch){.B = B, .T = Tb, .ids = sb->ids, .len = sb->len, .U = U};
	sb->b.dec_ids = sb->dec_ids;
	sb->b.dec_len = sb->dec_len;
	if (by_step) {
		sb->b.carry = 1;
		sb->b.dec_from = bm->from;
		at = nlp_pipeline_stage_count(p) - 1;
	}
	rc = nlp_chain_forward(p, at, &sb->b, &s, err);
	if (!rc && (s.T != U || s.B != B || s.D != bm->V))
		rc = nlp_err_set(err, NLP_EINTERNAL, "the decoder gave %d x %d x %d scores", s.T,
		                 s.B, s.D);
	if (!rc)
		*pr = s.x + (size_t)(U - 1) * B * bm->V;
	return rc;
}

/* The K best continuations of the live hypotheses into bm->cand; their
 * number. */
static int beam_candidates(s2s_beam *bm, const float *pr)
{
	int n = 0;
	for (int j = 0; j < bm->n_live; j++) {
		const float *row = pr + (size_t)j * bm->V;
		for (int c = 0; c < bm->V; c++) {
			s2s_cand x = {bm->live[j].score + log(row[c] > 1e-30f ? row[c] : 1e-30f), j,
			              c};
			if (c == 0)
				continue; /* <pad> is never an output */
			if (n < bm->n_cand) {
				bm->cand[n++] = x;
				continue;
			}
			int worst = 0;
			for (int k = 1; k < n; k++)
				if (cand_desc(&bm->cand[k], &bm->cand[worst]) > 0)
					worst = k;
			if (cand_desc(&x, &bm->cand[worst]) < 0)
				bm->cand[worst] = x;
		}
	}
	qsort(bm->cand, (size_t)n, sizeof *bm->cand, cand_desc);
	return n;
}

/* A finished hypothesis (ids[1..n) without eos) of summed score. */
static void beam_finish(s2s_beam *bm, const s2s_hyp *h, double score, double alpha)
{
	const double v = normalized(score, h->n - 1, alpha);
	bm->n_done++;
	if (bm->have_best && v <= bm->best_score)
		return;
	bm->have_best = 1;
	bm->best_score = v;
	bm->n_best = h->n - 1;
	memcpy(bm->best, h->ids + 1, (size_t)bm->n_best * sizeof *bm->best);
}

/* One step: the candidates become the next live set, or finish at eos
 * when they rank among the K best. */
static void beam_step(s2s_beam *bm, int n_cand, int32_t eos, double alpha)
{
	int n = 0;
	for (int k = 0; k < n_cand && n < bm->K; k++) {
		const s2s_cand *c = &bm->cand[k];
		const s2s_hyp *h = &bm->live[c->from];
		if (c->id == eos) {
			if (k < bm->K)
				beam_finish(bm, h, c->score, alpha);
			continue;
		}
		s2s_hyp *x = &bm->next[n++];
		memcpy(x->ids, h->ids, (size_t)h->n * sizeof *x->ids);
		x->ids[h->n] = c->id;
		x->n = h->n + 1;
		x->from = c->from;
		x->score = c->score;
	}
	/* the live hypotheses that cannot beat the best finished one stop */
	s2s_hyp *t = bm->live;
	bm->live = bm->next;
	bm->next = t;
	bm->n_live = n;
	if (bm->have_best && alpha <= 0)
		while (bm->n_live && bm->live[bm->n_live - 1].score <= bm->best_score)
			bm->n_live--;
}

/* Whether the search is over: no live hypothesis, or K finished and the
 * best live one (normalized at its length) below the best finished. */
static int beam_done(const s2s_beam *bm, double alpha)
{
	if (!bm->n_live)
		return 1;
	if (bm->n_done < bm->K)
		return 0;
	return normalized(bm->live[0].score, bm->live[0].n - 1, alpha) < bm->best_score;
}

static void beam_free(s2s_beam *bm)
{
	for (int k = 0; k < bm->K && bm->live; k++)
		free(bm->live[k].ids);
	for (int k = 0; k < bm->K && bm->next; k++)
		free(bm->next[k].ids);
	free(bm->live);
	free(bm->next);
	free(bm->cand);
	free(bm->best);
	free(bm->from);
	nlp_s2s_batch_free(&bm->sb);
}

static int beam_new(s2s_beam *bm, int K, int V, int max_len, int32_t bos)
{
	memset(bm, 0, sizeof *bm);
	bm->K = K;
	bm->V = V;
	bm->max_len = max_len;
	bm->live = calloc((size_t)K, sizeof *bm->live);
	bm->next = calloc((size_t)K, sizeof *bm->next);
	bm->n_cand = K == 1 ? 1 : 2 * K;
	bm->cand = calloc((size_t)bm->n_cand, sizeof *bm->cand);
	bm->best = calloc((size_t)max_len + 1, sizeof *bm->best);
	bm->from = calloc((size_t)K, sizeof *bm->from);
	if (!bm->live || !bm->next || !bm->cand || !bm->best || !bm->from)
		return -1;
	for (int k = 0; k < K; k++) {
		bm->live[k].ids = malloc(((size_t)max_len + 2) * sizeof(int32_t));
		bm->next[k].ids = malloc(((size_t)max_len + 2) * sizeof(int32_t));
		if (!bm->live[k].ids || !bm->next[k].ids)
			return -1;
	}
	bm->live[0].ids[0] = bos;
	bm->live[0].n = 1;
	bm->n_live = 1;
	return 0;
}

/* Greedy decoding's attention weights: a row of n_src a step. */
typedef struct s2s_att {
	float *w; /* [rows x n_src], NULL when the decoder has none */
	int rows, none;
	size_t cap;
} s2s_att;

/* Append the attention row of the last forward's column 0 to a. */
static int att_record(nlp_pipeline *p, s2s_att *a, int n_src, nlp_err *err)
{
	const size_t n = nlp_pipeline_stage_count(p);
	const nlp_train_ops *t = nlp_pipeline_stage_class(p, n - 1)->train;
	int T = 0, rows = 0;
	const float *w = t->attention
	                         ? t->attention(nlp_pipeline_stage_instance(p, n - 1), &T, &rows)
	                         : NULL;

	if (!w || rows < 1 || T < n_src) {
		a->none = 1;
		return NLP_OK;
	}
	if (nlp_grow_exact(&a->w, &a->cap, ((size_t)a->rows + 1) * n_src + 1, sizeof *a->w))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	memcpy(a->w + (size_t)a->rows * n_src, w, (size_t)n_src * sizeof *w);
	a->rows++;
	return NLP_OK;
}

/* nlp_s2s_decode; with att (greedy only), the attention of every step. */
static int decode(nlp_pipeline *p, size_t first, const int32_t *src, int n_src, int32_t bos,
                  int32_t eos, const nlp_s2s_gen_opts *o, int32_t **out, int *n_out, s2s_att *att,
                  nlp_err *err)
{
	const int V = nlp_s2s_vocab_size(p, first);
	s2s_beam bm;
	int rc = NLP_OK;

	*out = NULL;
	*n_out = 0;
	if (o->beam < 1 || o->max_len < 1 || !(o->length_penalty >= 0))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "beam %d, maximum length %d, length penalty %g: use a beam and "
		                   "a length of at least 1 and a penalty of 0 or more",
		                   o->beam, o->max_len, o->length_penalty);
	if (beam_new(&bm, o->beam, V, o->max_len, bos)) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	bm.steps = decodes_by_step(p);
	for (int u = 0; u < o->max_len && !beam_done(&bm, o->length_penalty); u++) {
		const float *pr = NULL;
		if ((rc = beam_forward(p, first, &bm, src, n_src, &pr, err)))
			goto out;
		if (att && o->beam == 1 && !att->none && (rc = att_record(p, att, n_src, err)))
			goto out;
		beam_step(&bm, beam_candidates(&bm, pr), eos, o->length_penalty);
	}
	for (int k = 0; !bm.have_best && k < bm.n_live; k++) /* out of length: they end here */
		beam_finish(&bm, &bm.live[k], bm.live[k].score, o->length_penalty);
	*out = bm.best;
	*n_out = bm.n_best;
	bm.best = NULL;
out:
	beam_free(&bm);
	return rc;
}

int nlp_s2s_decode(nlp_pipeline *p, size_t first, const int32_t *src, int n_src, int32_t bos,
                   int32_t eos, const nlp_s2s_gen_opts *o, int32_t **out, int *n_out, nlp_err *err)
{
	return decode(p, first, src, n_src, bos, eos, o, out, n_out, NULL, err);
}

/* One text through pool (the text stages and the embedding) to ids. */
static int pool_ids(nlp_pool *pool, const char *name, const char *text, int32_t **ids, size_t *n,
                    nlp_err *err)
{
	nlp_text_job job = {.name = name, .text = text, .len = strlen(text)};
	int rc = NLP_OK;

	nlp_pool_run(pool, &job, 1, 1);
	if (job.rc)
		rc = nlp_err_set(err, job.rc, "%s: %s", name, job.msg);
	*ids = job.ids;
	*n = job.n_ids;
	free(job.streams);
	nlp_tokens_free(&job.tokens);
	return rc;
}

int nlp_s2s_source_ids(nlp_model *m, const char *name, const char *text, int32_t **ids, size_t *n,
                       nlp_err *err)
{
	nlp_pipeline *p = m->pipeline;
	nlp_pool *pool = NULL;
	int rc = nlp_pool_new(&pool, p, 1, nlp_pipeline_text_end(p) + 1, err);

	*ids = NULL;
	*n = 0;
	if (!rc)
		rc = pool_ids(pool, name, text, ids, n, err);
	nlp_pool_free(pool);
	return rc;
}

/* ids[0..n) as their tokens joined by sep, into *out. */
static int join_tokens(const nlp_pipeline *p, size_t first, const int32_t *ids, int n,
                       const char *sep, char **out, nlp_err *err)
{
	nlp_buf b = {0};
	int bad = 0;
	for (int i = 0; i < n; i++) {
		const char *t = nlp_s2s_token(p, first, ids[i]);
		if (i)
			bad |= nlp_buf_put(&b, sep, strlen(sep));
		bad |= nlp_buf_put(&b, t ? t : "<?>", strlen(t ? t : "<?>"));
	}
	bad |= nlp_buf_put(&b, "", 1);
	if (bad) {
		free(b.data);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	*out = (char *)b.data;
	return NLP_OK;
}

struct nlp_s2s_translator {
	nlp_model *m;   /* borrowed */
	nlp_pool *pool; /* the text stages and the embedding: sources to ids */
	size_t first;   /* the first trainable stage */
	int32_t bos, eos;
};

void nlp_s2s_translator_free(nlp_s2s_translator *t)
{
	if (!t)
		return;
	nlp_pool_free(t->pool);
	free(t);
}

int nlp_s2s_translator_new(nlp_s2s_translator **out, nlp_model *m, nlp_err *err)
{
	nlp_pipeline *p = m->pipeline;
	nlp_s2s_translator *t = NULL;
	int rc = NLP_OK;

	*out = NULL;
	if (!nlp_pipeline_is_s2s(p))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s is not a sequence-to-sequence model (its pipeline does not "
		                   "end in a decoder): see examples/seq2seq/seq2seq.ini",
		                   m->path);
	if (!(t = calloc(1, sizeof *t)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	t->m = m;
	t->first = nlp_pipeline_text_end(p);
	rc = nlp_s2s_special_ids(p, t->first, &t->bos, &t->eos, err);
	if (!rc)
		rc = nlp_pool_new(&t->pool, p, 1, t->first + 1, err);
	if (rc)
		nlp_s2s_translator_free(t);
	else
		*out = t;
	return rc;
}

/* nlp_s2s_translator_ids; with att (greedy), the attention weights. */
static int translator_decode(nlp_s2s_translator *t, const char *name, const char *text,
                             const nlp_s2s_gen_opts *o, int32_t **out, int *n_out, s2s_att *att,
                             nlp_err *err)
{
	int32_t *src = NULL;
	size_t n_src = 0;
	int rc = pool_ids(t->pool, name, text, &src, &n_src, err);

	*out = NULL;
	*n_out = 0;
	if (!rc && n_src > 100000)
		rc = nlp_err_set(err, NLP_EDATA, "%s: %zu tokens: a source holds at most 100000",
		                 name, n_src);
	if (!rc)
		rc = decode(t->m->pipeline, t->first, src, (int)n_src, t->bos, t->eos, o, out,
		            n_out, att, err);
	free(src);
	return rc;
}

int nlp_s2s_translator_ids(nlp_s2s_translator *t, const char *name, const char *text,
                           const nlp_s2s_gen_opts *o, int32_t **out, int *n_out, nlp_err *err)
{
	return translator_decode(t, name, text, o, out, n_out, NULL, err);
}

int nlp_s2s_translator_run(nlp_s2s_translator *t, const char *name, const char *text,
                           const nlp_s2s_gen_opts *o, const char *sep, char **out, nlp_err *err)
{
	int32_t *ids = NULL;
	int n = 0, rc = nlp_s2s_translator_ids(t, name, text, o, &ids, &n, err);

	*out = NULL;
	if (!rc)
		rc = join_tokens(t->m->pipeline, t->first, ids, n, sep, out, err);
	free(ids);
	return rc;
}

int nlp_s2s_translate(nlp_model *m, const char *name, const char *text, const nlp_s2s_gen_opts *o,
                      const char *sep, char **out, nlp_err *err)
{
	nlp_s2s_translator *t = NULL;
	int rc = nlp_s2s_translator_new(&t, m, err);

	*out = NULL;
	if (!rc)
		rc = nlp_s2s_translator_run(t, name, text, o, sep, out, err);
	nlp_s2s_translator_free(t);
	return rc;
}

/* ---- scores ---- */

/* Clipped matches of the n-grams of h[0..nh) in r[0..nr) (items of size
 * elem compared with memcmp); used[] scratch of nr entries. */
static uint64_t ngram_matches(const void *h, size_t nh, const void *r, size_t nr, size_t n,
                              size_t elem, unsigned char *used,
                              int (*eq)(const void *, const void *, size_t, size_t))
{
	uint64_t m = 0;
	if (nh < n || nr < n)
		return 0;
	memset(used, 0, nr);
	for (size_t i = 0; i + n <= nh; i++)
		for (size_t j = 0; j + n <= nr; j++) {
			size_t k = 0;
			if (used[j])
				continue;
			while (k < n && eq(h, r, (i + k) * elem, (j + k) * elem))
				k++;
			if (k == n) {
				used[j] = 1;
				m++;
				break;
			}
		}
	return m;
}

static int eq_str(const void *a, const void *b, size_t i, size_t j)
{
	return !strcmp(*(const char *const *)((const char *)a + i),
	               *(const char *const *)((const char *)b + j));
}

static int eq_u32(const void *a, const void *b, size_t i, size_t j)
{
	return *(const uint32_t *)((const char *)a + i) == *(const uint32_t *)((const char *)b + j);
}

/* The code points of the tokens t[0..n) joined without spaces (malloc'd). */
static uint32_t *code_points(const char *const *t, size_t n, size_t *len)
{
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += strlen(t[i]);
	uint32_t *c = malloc(cap * sizeof *c);
	*len = 0;
	for (size_t i = 0; c && i < n; i++)
		for (const unsigned char *s = (const unsigned char *)t[i]; *s;) {
			uint32_t v = *s++;
			int more = v >= 0xf0 ? 3 : v >= 0xe0 ? 2 : v >= 0xc0 ? 1 : 0;
			for (; more && (*s & 0xc0) == 0x80; more--)
				v = (v << 6) | (*s++ & 0x3f);
			c[(*len)++] = v;
		}
	return c;
}

int nlp_s2s_score_add(nlp_s2s_scores *s, const char *const *hyp, size_t nh, const char *const *ref,
                      size_t nr)
{
	size_t lh, lr, same = 0;
	uint32_t *ch = code_points(hyp, nh, &lh), *cr = code_points(ref, nr, &lr);
	unsigned char *used = malloc((nr > lr ? nr : lr) + 1);
	int rc = ch && cr && used ? NLP_OK : NLP_ENOMEM;

	for (size_t i = 0; !rc && i < nh && i < nr; i++)
		same += !strcmp(hyp[i], ref[i]);
	for (size_t n = 1; !rc && n <= 4; n++) {
		s->ngram_match[n - 1] +=
		        ngram_matches(hyp, nh, ref, nr, n, sizeof *hyp, used, eq_str);
		s->ngram_total[n - 1] += nh >= n ? nh - n + 1 : 0;
	}
	for (size_t n = 1; !rc && n <= 6; n++) {
		s->chr_match[n - 1] += ngram_matches(ch, lh, cr, lr, n, sizeof *ch, used, eq_u32);
		s->chr_hyp[n - 1] += lh >= n ? lh - n + 1 : 0;
		s->chr_ref[n - 1] += lr >= n ? lr - n + 1 : 0;
	}
	if (!rc) {
		s->pairs++;
		s->exact += same == nr && nh == nr;
		s->correct += same;
		s->ref_tokens += nr;
		s->hyp_tokens += nh;
	}
	free(used);
	free(cr);
	free(ch);
	return rc;
}

double nlp_s2s_bleu(const nlp_s2s_scores *s)
{
	double logp = 0.0;
	for (int n = 0; n < 4; n++) {
		if (!s->ngram_match[n] || !s->ngram_total[n])
			return 0.0;
		logp += log((double)s->ngram_match[n] / (double)s->ngram_total[n]) / 4.0;
	}
	const double c = (double)s->hyp_tokens, r = (double)s->ref_tokens;
	const double bp = c >= r ? 1.0 : exp(1.0 - r / c);
	return 100.0 * bp * exp(logp);
}

double nlp_s2s_chrf(const nlp_s2s_scores *s)
{
	double P = 0.0, R = 0.0;
	int np = 0, nr = 0;
	for (int n = 0; n < 6; n++) {
		if (s->chr_hyp[n]) {
			P += (double)s->chr_match[n] / (double)s->chr_hyp[n];
			np++;
		}
		if (s->chr_ref[n]) {
			R += (double)s->chr_match[n] / (double)s->chr_ref[n];
			nr++;
		}
	}
	P = np ? P / np : 0.0;
	R = nr ? R / nr : 0.0;
	return P + R > 0 ? 100.0 * 5.0 * P * R / (4.0 * P + R) : 0.0;
}

/* The tokens of text through the text stages of m (pool), as strings
 * pointing into job->tokens. */
static int text_tokens(nlp_pool *pool, nlp_text_job *job, const char ***toks, nlp_err *err)
{
	nlp_pool_run(pool, job, 1, 0);
	if (job->rc)
		return nlp_err_set(err, job->rc, "%s: %s", job->name, job->msg);
	*toks = malloc((job->tokens.n + 1) * sizeof **toks);
	if (!*toks)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < job->tokens.n; i++)
		(*toks)[i] = nlp_token(&job->tokens, i);
	return NLP_OK;
}

/* A copy of the strings t[0..n) (and NLP_LM_EOS after them when eos). */
static char **strs_dup(const char *const *t, size_t n, int eos)
{
	char **c = calloc(n + 2, sizeof *c);
	int bad = !c;
	for (size_t i = 0; c && i < n + (size_t)eos; i++)
		bad |= !(c[i] = strdup(i < n ? t[i] : NLP_LM_EOS));
	if (bad && c)
		for (size_t i = 0; i < n + 1; i++)
			free(c[i]);
	if (bad)
		free(c);
	return bad ? NULL : c;
}

static void example_free(nlp_s2s_example *x)
{
	char **a[] = {x->src, x->out, x->ref};
	const size_t n[] = {x->n_src, x->n_out, x->n_ref};
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; a[k] && i < n[k]; i++)
			free(a[k][i]);
		free(a[k]);
	}
	free(x->name);
	free(x->att);
	memset(x, 0, sizeof *x);
}

void nlp_s2s_examples_free(nlp_s2s_examples *E)
{
	for (size_t i = 0; E && i < E->n_right; i++)
		example_free(&E->right[i]);
	for (size_t i = 0; E && i < E->n_wrong; i++)
		example_free(&E->wrong[i]);
	if (E)
		memset(E, 0, sizeof *E);
}

/* A pair as an example of the report, while there is room for its kind:
 * tokens of the source src, the output hyp (n_hyp of them; the decoder's
 * end token too when it ended: a->rows says), the reference, and the
 * attention weights a. */
static int keep_example(nlp_s2s_examples *E, const char *name, const nlp_tokens *src,
                        const char *const *hyp, size_t n_hyp, const char *const *ref, size_t n_ref,
                        s2s_att *a, int exact)
{
	size_t *n = exact ? &E->n_right : &E->n_wrong;
	nlp_s2s_example *x = exact ? &E->right[*n] : &E->wrong[*n];
	const char **st = NULL;
	int rc = NLP_OK;

	E->no_attention |= a->none;
	if (*n >= NLP_S2S_EXAMPLES)
		return NLP_OK;
	memset(x, 0, sizeof *x);
	x->exact = exact;
	x->n_src = src->n;
	x->n_out = n_hyp + (a->rows > (int)n_hyp);
	x->n_ref = n_ref;
	if (!(st = malloc((src->n + 1) * sizeof *st)))
		return NLP_ENOMEM;
	for (size_t i = 0; i < src->n; i++)
		st[i] = nlp_token(src, i);
	x->name = strdup(name);
	x->src = strs_dup(st, src->n, 0);
	x->out = strs_dup(hyp, n_hyp, a->rows > (int)n_hyp);
	x->ref = strs_dup(ref, n_ref, 0);
	if (!a->none && a->rows == (int)x->n_out) {
		x->att = a->w; /* taken */
		a->w = NULL;
		a->cap = 0;
	}
	if (!x->name || !x->src || !x->out || !x->ref) {
		example_free(x);
		rc = NLP_ENOMEM;
	} else {
		++*n;
	}
	free(st);
	return rc;
}

/* Score pair i of L: decode its source (tr), tokenize its target (pool);
 * keep it in E (or NULL) as an example. */
static int eval_pair(nlp_s2s_translator *tr, nlp_pool *pool, const s2s_lines *L, size_t i,
                     const nlp_s2s_gen_opts *o, nlp_s2s_scores *s, nlp_s2s_examples *E,
                     nlp_err *err)
{
	nlp_text_job job = {.name = L->name[i], .text = L->tgt[i], .len = strlen(L->tgt[i])};
	nlp_text_job sj = {.name = L->name[i], .text = L->src[i], .len = strlen(L->src[i])};
	const char **ref = NULL, **hyp = NULL, **srct = NULL;
	int32_t *ids = NULL;
	s2s_att att = {0};
	const uint64_t exact = s->exact;
	int n = 0,
	    rc = translator_decode(tr, L->name[i], L->src[i], o, &ids, &n, E ? &att : NULL, err);

	if (!rc)
		rc = text_tokens(pool, &job, &ref, err);
	if (!rc && E)
		rc = text_tokens(pool, &sj, &srct, err);
	if (!rc && !(hyp = malloc(((size_t)n + 1) * sizeof *hyp)))
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int k = 0; !rc && k < n; k++) {
		const char *t = nlp_s2s_token(tr->m->pipeline, tr->first, ids[k]);
		hyp[k] = t ? t : "<?>";
	}
	if (!rc && nlp_s2s_score_add(s, hyp, (size_t)n, ref, job.tokens.n))
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (!rc && E &&
	    keep_example(E, L->name[i], &sj.tokens, hyp, (size_t)n, ref, job.tokens.n, &att,
	                 s->exact > exact))
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	free(hyp);
	free(ref);
	free(srct);
	free(att.w);
	nlp_tokens_free(&job.tokens);
	nlp_tokens_free(&sj.tokens);
	free(job.ids);
	free(job.streams);
	free(sj.ids);
	free(sj.streams);
	free(ids);
	return rc;
}

int nlp_s2s_eval_examples(nlp_model *m, const char *const *paths, size_t n_paths,
                          const nlp_s2s_gen_opts *o, nlp_s2s_scores *s, nlp_s2s_examples *E,
                          nlp_err *err)
{
	s2s_lines L = {0};
	nlp_s2s_translator *tr = NULL;
	nlp_pool *pool = NULL;
	int rc;

	memset(s, 0, sizeof *s);
	if (E)
		memset(E, 0, sizeof *E);
	rc = nlp_s2s_translator_new(&tr, m, err);
	for (size_t i = 0; i < n_paths && !rc; i++)
		rc = read_pairs(&L, paths[i], err);
	if (!rc)
		rc = nlp_pool_new(&pool, m->pipeline, 1, nlp_pipeline_text_end(m->pipeline), err);
	for (size_t i = 0; !rc && i < L.n; i++)
		rc = eval_pair(tr, pool, &L, i, o, s, E, err);
	nlp_pool_free(pool);
	nlp_s2s_translator_free(tr);
	lines_free(&L);
	return rc;
}

int nlp_s2s_eval_files(nlp_model *m, const char *const *paths, size_t n_paths,
                       const nlp_s2s_gen_opts *o, nlp_s2s_scores *s, nlp_err *err)
{
	return nlp_s2s_eval_examples(m, paths, n_paths, o, s, NULL, err);
}
