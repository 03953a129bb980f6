/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* dataset.c - reading a labelled data set through the text stages
 * (dataset.h), in parallel, in chunks (texts are freed once processed). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nlpipe/lm.h"
#include "pipeline/dataset.h"
#include "pipeline/internal.h"

enum { CHUNK = 2048 };

/* What a chunk holds while its documents go through the pool. */
typedef struct ds_chunk {
	nlp_text_job items[CHUNK];
	char *texts[CHUNK];
	int labels[CHUNK];
	int *sets[CHUNK]; /* as nlp_dataset.sets (owned), or NULL */
	size_t k;
} ds_chunk;

static int push_doc(nlp_dataset *ds, int want_tokens)
{
	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? ds->cap * 2 : 1024;
		nlp_doc_ids *d = realloc(ds->docs, cap * sizeof *d);
		if (!d)
			return NLP_ENOMEM;
		ds->docs = d;
		if (want_tokens) {
			nlp_tokens *t = realloc(ds->tokens, cap * sizeof *t);
			if (!t)
				return NLP_ENOMEM;
			ds->tokens = t;
		}
		ds->cap = cap;
	}
	memset(&ds->docs[ds->n], 0, sizeof ds->docs[ds->n]);
	if (want_tokens)
		memset(&ds->tokens[ds->n], 0, sizeof ds->tokens[ds->n]);
	ds->n++;
	return NLP_OK;
}

/* Make ds->sets (NULLs) cover the n documents. */
static int grow_sets(nlp_dataset *ds, size_t n)
{
	int **v;

	if (ds->sets && n <= ds->sets_cap)
		return NLP_OK;
	v = realloc(ds->sets, (n ? n : 1) * sizeof *v);
	if (!v)
		return NLP_ENOMEM;
	memset(v + ds->sets_cap, 0, ((n ? n : 1) - ds->sets_cap) * sizeof *v);
	ds->sets = v;
	ds->sets_cap = n ? n : 1;
	return NLP_OK;
}

/* Move *set into ds->sets as the last document's (ds->n - 1). */
static int keep_set(nlp_dataset *ds, int **set)
{
	if (grow_sets(ds, ds->cap))
		return NLP_ENOMEM;
	ds->sets[ds->n - 1] = *set;
	*set = NULL;
	ds->multi++;
	return NLP_OK;
}

/* Write job it's tokens into ds->store (with NLP_LM_EOS when sp says so):
 * off[n], tlen[n] (uint32), then the bytes; *at where they start. */
static int spill_tokens(nlp_dataset *ds, nlp_text_job *it, const nlp_dataset_spill *sp,
                        uint64_t *at, nlp_err *err)
{
	nlp_tokens *t = &it->tokens;
	int rc;

	if (sp->append_eos && nlp_tokens_push(t, NLP_LM_EOS, strlen(NLP_LM_EOS)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	rc = nlp_spill_write(ds->store, t->off, t->n * sizeof *t->off, at, err);
	if (!rc)
		rc = nlp_spill_write(ds->store, t->tlen, t->n * sizeof *t->tlen, NULL, err);
	if (!rc)
		rc = nlp_spill_write(ds->store, t->buf, t->len, NULL, err);
	return rc;
}

/* Write job it's ids into ds->store (with sp->eos when sp says so). */
static int spill_ids(nlp_dataset *ds, nlp_text_job *it, const nlp_dataset_spill *sp, uint64_t *at,
                     nlp_err *err)
{
	int rc = nlp_spill_write(ds->store, it->ids, it->n_ids * sizeof *it->ids, at, err);

	if (!rc && sp->append_eos)
		rc = nlp_spill_write(ds->store, &sp->eos, sizeof sp->eos, NULL, err);
	return rc;
}

/* Keep job i's result in ds (its ids or tokens move there, or into the
 * store with sp: the doc's ids hold the offset until nlp_dataset_rebase). */
static int keep_doc(nlp_dataset *ds, nlp_text_job *it, int label, int **set, int want_ids,
                    const nlp_dataset_spill *sp, nlp_err *err)
{
	nlp_doc_ids *d;
	uint64_t at = 0;
	int rc = NLP_OK;

	if (sp)
		rc = want_ids ? spill_ids(ds, it, sp, &at, err)
		              : spill_tokens(ds, it, sp, &at, err);
	if (rc)
		return rc;
	if (push_doc(ds, !want_ids && !sp) != NLP_OK || (*set && keep_set(ds, set) != NLP_OK))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	d = &ds->docs[ds->n - 1];
	d->label = label;
	d->streams = it->streams;
	it->streams = NULL;
	if (sp) {
		d->ids = (int32_t *)(uintptr_t)at;
		d->n = (uint32_t)(want_ids ? it->n_ids + (sp->append_eos != 0) : it->tokens.n);
	} else if (want_ids) {
		d->ids = it->ids;
		d->n = (uint32_t)it->n_ids;
		it->ids = NULL;
	} else {
		ds->tokens[ds->n - 1] = it->tokens;
		d->n = (uint32_t)it->tokens.n;
		memset(&it->tokens, 0, sizeof it->tokens);
	}
	ds->tokens_total += d->n - (uint32_t)(sp && sp->append_eos); /* eos: lm_add_eos counts it */
	return NLP_OK;
}

/* Process the chunk and move results into ds. */
static int flush(nlp_dataset *ds, const nlp_host *h, nlp_pool *pool, ds_chunk *ch, int want_ids,
                 const nlp_dataset_spill *sp, nlp_err *err)
{
	int rc = NLP_OK;

	nlp_pool_run(pool, ch->items, ch->k, want_ids);
	for (size_t i = 0; i < ch->k; i++) {
		nlp_text_job *it = &ch->items[i];
		if (it->rc == NLP_ENOMEM && !rc)
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		if (it->rc) {
			if (it->rc != NLP_ENOMEM) {
				nlp_host_diag(h, "%s: left out: %s", it->name, it->msg);
				ds->refused++;
			}
		} else if (!rc) {
			rc = keep_doc(ds, it, ch->labels[i], &ch->sets[i], want_ids, sp, err);
		}
		nlp_tokens_free(&it->tokens);
		free(it->ids);
		it->ids = NULL;
		free(it->streams);
		it->streams = NULL;
		free(ch->texts[i]);
		ch->texts[i] = NULL;
		free(ch->sets[i]);
		ch->sets[i] = NULL;
		free((char *)it->name);
		it->name = NULL;
	}
	ch->k = 0;
	return rc;
}

/* Copy the reader's labels into ds. */
static int copy_labels(nlp_dataset *ds, const nlp_reader *r, nlp_err *err)
{
	ds->n_labels = nlp_reader_label_count(r);
	ds->labels = calloc(ds->n_labels ? ds->n_labels : 1, sizeof *ds->labels);
	if (!ds->labels)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < ds->n_labels; i++) {
		ds->labels[i] = strdup(nlp_reader_label(r, i));
		if (!ds->labels[i])
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	return NLP_OK;
}

/* Add a copy of doc to the chunk; any: its labels are ignored (label 0). */
static int add_doc(nlp_dataset *ds, ds_chunk *ch, const nlp_document *doc, int any, nlp_err *err)
{
	const size_t k = ch->k;

	ch->texts[k] = malloc(doc->len + 1);
	ch->items[k].name = strdup(doc->name);
	ch->sets[k] = NULL;
	if (doc->n_labels > 1 && !any) {
		ch->sets[k] = malloc((doc->n_labels + 1) * sizeof *ch->sets[k]);
		if (ch->sets[k]) {
			ch->sets[k][0] = (int)doc->n_labels;
			memcpy(ch->sets[k] + 1, doc->labels, doc->n_labels * sizeof *doc->labels);
		}
		if (!ds->first_multi)
			ds->first_multi = strdup(doc->name);
	}
	if (!ch->texts[k] || !ch->items[k].name || (doc->n_labels > 1 && !any && !ch->sets[k]) ||
	    (doc->n_labels > 1 && !any && !ds->first_multi)) {
		free(ch->texts[k]);
		free((char *)ch->items[k].name);
		free(ch->sets[k]);
		ch->texts[k] = NULL;
		ch->items[k].name = NULL;
		ch->sets[k] = NULL;
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	memcpy(ch->texts[k], doc->text, doc->len + 1);
	ch->items[k].text = ch->texts[k];
	ch->items[k].len = doc->len;
	ch->items[k].rc = 0;
	ch->labels[k] = any ? 0 : doc->label;
	ch->k++;
	return NLP_OK;
}

int nlp_dataset_read_to(nlp_dataset *ds, const nlp_host *h, nlp_pipeline *p, size_t end,
                        int threads, int want_ids, const nlp_reader_opts *ro,
                        const char *const *paths, size_t n_paths, const char *const *labels,
                        size_t n_labels, int any, const nlp_dataset_spill *sp, nlp_err *err)
{
	nlp_reader *r = NULL;
	nlp_pool *pool = NULL;
	ds_chunk *ch = calloc(1, sizeof *ch);
	const nlp_document *doc;
	int rc;

	memset(ds, 0, sizeof *ds);
	if (!ch) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	if (sp) {
		rc = nlp_spill_new(&ds->store, sp->dir, sp->limit, err);
		ds->store_tokens = !want_ids;
		if (rc)
			goto out;
	}
	rc = nlp_reader_open(&r, ro, paths, n_paths, err);
	if (!rc && labels)
		rc = nlp_reader_set_labels(r, labels, n_labels, err);
	if (!rc)
		rc = nlp_pool_new(&pool, p, threads, end, err);
	if (rc)
		goto out;
	while (!(rc = nlp_reader_next(r, &doc, err)) && doc) {
		if (doc->label < 0 && !any) {
			ds->unlabelled++;
			if (ro->verbose)
				nlp_host_diag(h, "%s: left out: %s", doc->name,
				              doc->label_name
				                      ? "its label is not one of the model's"
				                      : "it has no label");
			continue;
		}
		if ((rc = add_doc(ds, ch, doc, any, err)))
			break;
		if (ch->k == CHUNK && (rc = flush(ds, h, pool, ch, want_ids, sp, err)))
			break;
	}
	if (!rc && ch->k)
		rc = flush(ds, h, pool, ch, want_ids, sp, err);
	if (!rc && ds->sets && grow_sets(ds, ds->n))
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (!rc)
		rc = copy_labels(ds, r, err);
	if (!rc)
		ds->stats = *nlp_reader_get_stats(r);
	if (!rc && ds->store && !(rc = nlp_spill_seal(ds->store, err)))
		nlp_dataset_rebase(ds);
out:
	for (size_t i = 0; ch && i < ch->k; i++) {
		free(ch->texts[i]);
		free(ch->sets[i]);
		free((char *)ch->items[i].name);
	}
	free(ch);
	nlp_pool_free(pool);
	nlp_reader_close(r);
	if (rc)
		nlp_dataset_free(ds);
	return rc;
}

int nlp_dataset_read(nlp_dataset *ds, const nlp_host *h, nlp_pipeline *p, size_t end, int threads,
                     int want_ids, const nlp_reader_opts *ro, const char *const *paths,
                     size_t n_paths, const char *const *labels, size_t n_labels, nlp_err *err)
{
	return nlp_dataset_read_to(ds, h, p, end, threads, want_ids, ro, paths, n_paths, labels,
	                           n_labels, 0, NULL, err);
}

int nlp_dataset_read_text(nlp_dataset *ds, const nlp_host *h, nlp_pipeline *p, size_t end,
                          int threads, int want_ids, const nlp_reader_opts *ro,
                          const char *const *paths, size_t n_paths, nlp_err *err)
{
	return nlp_dataset_read_to(ds, h, p, end, threads, want_ids, ro, paths, n_paths, NULL, 0, 1,
	                           NULL, err);
}

void nlp_dataset_free(nlp_dataset *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		if (ds->store)
			ds->docs[i].ids = NULL; /* the store's */
		nlp_doc_ids_free(&ds->docs[i]);
		if (ds->tokens)
			nlp_tokens_free(&ds->tokens[i]);
	}
	nlp_spill_free(ds->store);
	for (size_t i = 0; ds->sets && i < ds->sets_cap; i++)
		free(ds->sets[i]);
	free(ds->sets);
	free(ds->first_multi);
	for (size_t i = 0; i < ds->n_labels; i++)
		free(ds->labels ? ds->labels[i] : NULL);
	free(ds->labels);
	free(ds->docs);
	free(ds->tokens);
	memset(ds, 0, sizeof *ds);
}

int nlp_dataset_has_label(const nlp_dataset *ds, size_t i, int k)
{
	const int *set = ds->sets ? ds->sets[i] : NULL;

	if (!set)
		return ds->docs[i].label == k;
	for (int j = 1; j <= set[0]; j++)
		if (set[j] == k)
			return 1;
	return 0;
}

void nlp_dataset_targets(const nlp_dataset *ds, size_t i, float *t, int C)
{
	const int *set = ds->sets ? ds->sets[i] : NULL;

	memset(t, 0, (size_t)C * sizeof *t);
	if (!set) {
		if (ds->docs[i].label >= 0 && ds->docs[i].label < C)
			t[ds->docs[i].label] = 1.0f;
		return;
	}
	for (int j = 1; j <= set[0]; j++)
		if (set[j] >= 0 && set[j] < C)
			t[set[j]] = 1.0f;
}

void nlp_dataset_tokens(const nlp_dataset *ds, size_t i, nlp_tokens *view)
{
	const uint32_t n = ds->docs[i].n;
	const uint32_t *off = (const uint32_t *)ds->docs[i].ids;

	if (ds->tokens) {
		*view = ds->tokens[i];
		return;
	}
	memset(view, 0, sizeof *view);
	view->n = n;
	view->off = (uint32_t *)off;
	view->tlen = (uint32_t *)off + n;
	view->buf = (char *)(off + 2 * (size_t)n);
	view->len = n ? (size_t)off[n - 1] + view->tlen[n - 1] + 1 : 0;
}

void nlp_dataset_rebase(nlp_dataset *ds)
{
	const char *base = nlp_spill_base(ds->store);

	for (size_t i = 0; i < ds->n; i++)
		ds->docs[i].ids = (int32_t *)(uintptr_t)(base + (uintptr_t)ds->docs[i].ids);
}

/* Room for B documents of T ids in all in buf. */
static int batch_room(nlp_dataset_batch *buf, size_t B, size_t T)
{
	if (B > buf->cap_b) {
		nlp_doc_ids *d = realloc(buf->docs, B * sizeof *d);
		size_t *x = d ? realloc(buf->idx, B * sizeof *x) : NULL;
		if (d)
			buf->docs = d;
		if (!x)
			return NLP_ENOMEM;
		buf->idx = x;
		for (size_t b = buf->cap_b; b < B; b++)
			x[b] = b;
		buf->cap_b = B;
	}
	if (T > buf->cap_ids) {
		size_t cap = buf->cap_ids ? buf->cap_ids : 1024;
		int32_t *v;
		while (cap < T)
			cap *= 2;
		v = realloc(buf->ids, cap * sizeof *v);
		if (!v)
			return NLP_ENOMEM;
		buf->ids = v;
		buf->cap_ids = cap;
	}
	return NLP_OK;
}

int nlp_dataset_batch_docs(const nlp_dataset *ds, const size_t *idx, int B, nlp_dataset_batch *buf,
                           const nlp_doc_ids **docs, const size_t **idx_out, nlp_err *err)
{
	const char *base;
	size_t T = 0, at = 0;
	int rc = NLP_OK;

	*docs = ds->docs;
	*idx_out = idx;
	if (!ds->store || !nlp_spill_in_file(ds->store))
		return NLP_OK;
	for (int b = 0; b < B; b++)
		T += ds->docs[idx[b]].n;
	if (batch_room(buf, (size_t)(B > 0 ? B : 1), T ? T : 1))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	base = nlp_spill_base(ds->store);
	for (int b = 0; b < B && !rc; b++) {
		const nlp_doc_ids *d = &ds->docs[idx[b]];
		buf->docs[b] = *d;
		buf->docs[b].ids = buf->ids + at;
		rc = nlp_spill_read(ds->store, (uint64_t)((const char *)d->ids - base),
		                    buf->ids + at, (size_t)d->n * sizeof *d->ids, err);
		at += d->n;
	}
	*docs = buf->docs;
	*idx_out = buf->idx;
	return rc;
}

void nlp_dataset_batch_free(nlp_dataset_batch *buf)
{
	free(buf->docs);
	free(buf->idx);
	free(buf->ids);
	memset(buf, 0, sizeof *buf);
}
