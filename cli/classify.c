/* classify.c - stream documents through a trained pipeline: read a chunk,
 * run the text stages on the pool's threads, run the network in batches,
 * hand each document's probabilities to a callback in input order.  Memory
 * does not grow with the number of documents. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/classify.h"
#include "cli/cli.h"

#define CHUNK 1024

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

int classify_shard_parse(const char *s, long *index, long *count)
{
	char *end;
	long i = strtol(s, &end, 10), n;

	if (end == s || *end != '/')
		return -1;
	n = strtol(end + 1, &end, 10);
	if (*end || n < 1 || i < 1 || i > n)
		return -1;
	*index = i;
	*count = n;
	return 0;
}

int classify_in_shard(const char *name, long index, long count)
{
	return count <= 1 || (long)(fnv1a(name) % (uint64_t)count) == index - 1;
}

typedef struct chunk {
	run_item items[CHUNK];
	char *texts[CHUNK];
	int labels[CHUNK];
	run_doc docs[CHUNK];
	size_t idx[CHUNK];
	float *probs; /* [CHUNK * C] */
	size_t n;
} chunk;

/* Token slots per batch row that a batch may use on average. */
#define BATCH_STEPS 256

static const run_doc *sort_docs;
static int longest_first(const void *a, const void *b)
{
	uint32_t la = sort_docs[*(const size_t *)a].n, lb = sort_docs[*(const size_t *)b].n;
	if (la != lb)
		return la > lb ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int run_chunk(classify *cl, chunk *ch, nlp_err *err)
{
	size_t first = nlp_pipeline_text_end(cl->p), k = 0;
	int C = cl->n_classes, rc = NLP_OK;

	run_pool_process(cl->pool, ch->items, ch->n, 1);
	/* Documents that made it, in input order. */
	for (size_t i = 0; i < ch->n; i++) {
		run_item *it = &ch->items[i];
		if (it->rc == NLP_ENOMEM)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		ch->docs[i].ids = it->ids;
		ch->docs[i].n = (uint32_t)it->n_ids;
		ch->docs[i].label = ch->labels[i];
		if (!it->rc && it->n_ids > 0)
			ch->idx[k++] = i;
	}
	/* Longest first, and batches cut to at most batch * BATCH_STEPS token
	 * slots: memory follows that budget, not the longest document seen, and
	 * little padding is computed.  Results do not depend on the batching. */
	sort_docs = ch->docs;
	qsort(ch->idx, k, sizeof *ch->idx, longest_first);
	for (size_t at = 0, B; at < k && !rc; at += B) {
		size_t T = ch->docs[ch->idx[at]].n, budget = (size_t)cl->batch * BATCH_STEPS;
		nlp_act scores;
		B = T > 0 ? budget / T : (size_t)cl->batch;
		if (B > (size_t)cl->batch)
			B = (size_t)cl->batch;
		if (B < 1)
			B = 1;
		if (B > k - at)
			B = k - at;
		rc = run_batch_fill(&cl->rb, ch->docs, ch->idx + at, (int)B, err);
		if (rc)
			break;
		cl->rb.b.training = 0;
		cl->rb.b.rng = &cl->rng;
		rc = run_forward(cl->p, first, &cl->rb.b, &scores, err);
		if (rc)
			break;
		if (scores.D != C)
			return nlp_err_set(err, NLP_EINTERNAL,
			                   "the head gave %d scores for %d labels", scores.D, C);
		for (size_t b = 0; b < B; b++)
			memcpy(ch->probs + ch->idx[at + (size_t)b] * (size_t)C,
			       scores.x + (size_t)b * (size_t)C, (size_t)C * sizeof(float));
	}
	for (size_t i = 0; i < ch->n && !rc; i++) {
		run_item *it = &ch->items[i];
		const char *why = it->rc           ? it->msg
		                  : it->n_ids == 0 ? "no tokens left after the text stages"
		                                   : NULL;
		if (why)
			cl->failed++;
		else
			cl->done++;
		rc = cl->cb(cl->user, it->name, ch->labels[i],
		            why ? NULL : ch->probs + i * (size_t)C, why, err);
	}
	for (size_t i = 0; i < ch->n; i++) {
		free(ch->items[i].ids);
		ch->items[i].ids = NULL;
		free((char *)ch->items[i].name);
		ch->items[i].name = NULL;
		free(ch->texts[i]);
		ch->texts[i] = NULL;
	}
	ch->n = 0;
	return rc;
}

int classify_run(classify *cl, nlp_reader *r, nlp_err *err)
{
	chunk *ch = calloc(1, sizeof *ch);
	const nlp_document *doc;
	int rc;

	if (!ch || !(ch->probs = malloc((size_t)CHUNK * (size_t)cl->n_classes * sizeof(float)))) {
		free(ch);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	while (!(rc = nlp_reader_next(r, &doc, err)) && doc) {
		size_t i = ch->n;
		if (!classify_in_shard(doc->name, cl->shard_index, cl->shard_count))
			continue;
		if (cl->labelled && doc->label < 0) {
			cl->unlabelled++;
			if (cli_verbose)
				cli_warn("%s: left out: %s", doc->name,
				         doc->label_name ? "its label is not one of the model's"
				                         : "it has no label");
			continue;
		}
		ch->texts[i] = malloc(doc->len + 1);
		ch->items[i].name = strdup(doc->name);
		if (!ch->texts[i] || !ch->items[i].name) {
			free(ch->texts[i]);
			free((char *)ch->items[i].name);
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			break;
		}
		memcpy(ch->texts[i], doc->text, doc->len + 1);
		ch->items[i].text = ch->texts[i];
		ch->items[i].len = doc->len;
		ch->items[i].rc = 0;
		ch->items[i].n_ids = 0;
		ch->labels[i] = doc->label;
		if (++ch->n == CHUNK && (rc = run_chunk(cl, ch, err)))
			break;
	}
	if (!rc && ch->n)
		rc = run_chunk(cl, ch, err);
	for (size_t i = 0; i < ch->n; i++) {
		free(ch->texts[i]);
		free((char *)ch->items[i].name);
		free(ch->items[i].ids);
	}
	free(ch->probs);
	free(ch);
	return rc;
}

int classify_open(classify *cl, const char *model_path, int threads, int batch, nlp_err *err)
{
	int rc;

	memset(cl, 0, sizeof *cl);
	cl->batch = batch;
	cl->shard_count = 1;
	cl->shard_index = 1;
	nlp_rng_seed(&cl->rng, 1);
	rc = nlp_host_new(&cl->host, err);
	if (!rc) {
		nlp_host_set_diag(cl->host, cli_diag, NULL);
		rc = nlp_host_add_default_paths(cl->host, err);
	}
	if (!rc)
		rc = nlp_host_load_modules(cl->host, err);
	if (!rc)
		rc = nlp_model_load(&cl->model, model_path, cl->host, err);
	if (rc)
		return rc;
	if (cl->model->warnings && cli_verbose) {
		size_t n = strlen(cl->model->warnings);
		while (n && cl->model->warnings[n - 1] == '\n')
			n--;
		cli_warn("%.*s", (int)n, cl->model->warnings);
	}
	cl->p = cl->model->pipeline;
	cl->n_classes = (int)cl->model->n_labels;
	rc = run_check_classifier(cl->p, err);
	if (!rc)
		cl->thresholds = run_head_thresholds(cl->p);
	if (!rc)
		rc = run_pool_new(&cl->pool, cl->p, threads, nlp_pipeline_text_end(cl->p) + 1, err);
	return rc;
}

void classify_close(classify *cl)
{
	run_pool_free(cl->pool);
	run_batch_free(&cl->rb);
	nlp_model_free(cl->model);
	nlp_host_free(cl->host);
	memset(cl, 0, sizeof *cl);
}
