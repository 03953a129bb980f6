/* data.c - reading a data set through the text stages, in parallel, in
 * chunks (texts are freed once processed). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/data.h"

#define CHUNK 2048

void data_diag(void *user, const char *msg)
{
	(void)user;
	cli_warn("%s", msg);
}

int data_option(int c, const char *arg, nlp_reader_opts *o, int *handled)
{
	nlp_err err = {0};
	int rc = NLP_OK;

	*handled = 1;
	switch (c) {
	case 1001:
		rc = nlp_input_format_parse(arg, &o->format, &err);
		break;
	case 1002:
		rc = nlp_line_format_parse(arg, &o->lines, &err);
		break;
	case 1003:
		rc = nlp_encoding_parse(arg, &o->encoding, &err);
		break;
	case 1004:
		rc = nlp_size_parse(arg, &o->max_doc_bytes, &err);
		break;
	case 1005:
		o->strict = 1;
		break;
	default:
		*handled = 0;
	}
	if (rc) {
		cli_fail(&err);
		return EXIT_USAGE;
	}
	return 0;
}

static int push_doc(data_set *ds, int want_tokens)
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

/* Process the chunk and move results into ds. */
static int flush(data_set *ds, nlp_pool *pool, nlp_text_job *items, char **texts, int *labels,
                 size_t n, int want_ids, nlp_err *err)
{
	int rc = NLP_OK;

	nlp_pool_run(pool, items, n, want_ids);
	for (size_t i = 0; i < n; i++) {
		nlp_text_job *it = &items[i];
		if (it->rc == NLP_ENOMEM && !rc)
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		if (it->rc) {
			if (it->rc != NLP_ENOMEM) {
				cli_warn("%s: left out: %s", it->name, it->msg);
				ds->failed++;
			}
			nlp_tokens_free(&it->tokens);
			free(it->ids);
			free(it->streams);
		} else if (!rc && push_doc(ds, !want_ids) == NLP_OK) {
			nlp_doc_ids *d = &ds->docs[ds->n - 1];
			d->label = labels[i];
			d->streams = it->streams;
			if (want_ids) {
				d->ids = it->ids;
				d->n = (uint32_t)it->n_ids;
			} else {
				ds->tokens[ds->n - 1] = it->tokens;
				d->n = (uint32_t)it->tokens.n;
			}
			ds->tokens_total += d->n;
		} else {
			if (!rc)
				rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			nlp_tokens_free(&it->tokens);
			free(it->ids);
			free(it->streams);
		}
		memset(&it->tokens, 0, sizeof it->tokens);
		it->ids = NULL;
		it->streams = NULL;
		free(texts[i]);
		texts[i] = NULL;
		free((char *)it->name);
		it->name = NULL;
	}
	return rc;
}

int data_read(data_set *ds, nlp_pipeline *p, size_t end, int threads, int want_ids,
              const nlp_reader_opts *ro, const char *const *paths, size_t n_paths,
              const char *const *labels, size_t n_labels, int labelled, int quiet, nlp_err *err)
{
	nlp_reader *r = NULL;
	nlp_pool *pool = NULL;
	nlp_text_job *items = calloc(CHUNK, sizeof *items);
	char **texts = calloc(CHUNK, sizeof *texts);
	int *labs = calloc(CHUNK, sizeof *labs);
	const nlp_document *doc;
	size_t k = 0;
	uint64_t unlabelled = 0;
	int rc;

	memset(ds, 0, sizeof *ds);
	if (!items || !texts || !labs) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
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
		if (labelled && doc->label < 0) {
			unlabelled++;
			if (ro->verbose)
				cli_warn("%s: left out: %s", doc->name,
				         doc->label_name ? "its label is not one of the model's"
				                         : "it has no label");
			continue;
		}
		texts[k] = malloc(doc->len + 1);
		items[k].name = strdup(doc->name);
		if (!texts[k] || !items[k].name) {
			free(texts[k]);
			free((char *)items[k].name);
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			break;
		}
		memcpy(texts[k], doc->text, doc->len + 1);
		items[k].text = texts[k];
		items[k].len = doc->len;
		items[k].rc = 0;
		labs[k] = doc->label;
		if (++k == CHUNK) {
			rc = flush(ds, pool, items, texts, labs, k, want_ids, err);
			k = 0;
			if (rc)
				break;
		}
	}
	if (!rc && k) {
		rc = flush(ds, pool, items, texts, labs, k, want_ids, err);
		k = 0;
	}
	if (rc)
		goto out;
	ds->n_labels = nlp_reader_label_count(r);
	ds->labels = calloc(ds->n_labels ? ds->n_labels : 1, sizeof *ds->labels);
	if (!ds->labels) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ds->n_labels; i++) {
		ds->labels[i] = strdup(nlp_reader_label(r, i));
		if (!ds->labels[i]) {
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (!quiet) {
		char line[1024];
		nlp_reader_summary(nlp_reader_get_stats(r), line, sizeof line);
		cli_info("%s", line);
		if (unlabelled)
			cli_info("%llu documents left out: no known label (--verbose names them)",
			         (unsigned long long)unlabelled);
		if (ds->failed)
			cli_info("%llu documents left out: a stage refused them (named above)",
			         (unsigned long long)ds->failed);
	}
out:
	for (size_t i = 0; i < k; i++) {
		free(texts[i]);
		free((char *)items[i].name);
	}
	free(items);
	free(texts);
	free(labs);
	nlp_pool_free(pool);
	nlp_reader_close(r);
	if (rc)
		data_free(ds);
	return rc;
}

void data_free(data_set *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		nlp_doc_ids_free(&ds->docs[i]);
		if (ds->tokens)
			nlp_tokens_free(&ds->tokens[i]);
	}
	for (size_t i = 0; i < ds->n_labels; i++)
		free(ds->labels ? ds->labels[i] : NULL);
	free(ds->labels);
	free(ds->docs);
	free(ds->tokens);
	memset(ds, 0, sizeof *ds);
}
