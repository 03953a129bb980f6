/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* bench/lm_compare_nlpipe.c - nlpipe's side of bench/lm_compare: a language
 * model (embedding -> lstm, pooling none -> next_token) on documents that
 * `nlpipe tokenize` has already tokenized.  The vocabulary comes from the
 * embedding's observe op on the training documents (each with its </s>, as
 * nlpipe train does), the ids from nlp_pipeline_map_ids; -o writes them for
 * PyTorch's side.  Training: the training documents, in the file's order
 * every epoch, concatenated and cut into B streams (nlp_lm_stream_build,
 * state carried, never reset), windows of T steps, Adam with global-norm
 * clipping; validation: nlp_lm_evaluate (each document from a zero state,
 * full softmax).  Not a test.
 *
 *   bench/lm_compare_nlpipe -t TOKENS -n NTRAIN [-o IDS] [-e epochs] [-E 256]
 *       [-H 256] [-L layers] [-V max_vocab] [-M min_count] [-d dropout]
 *       [-m full|sampled] [-B 32] [-T 35] [-l lr] [-c clip] [-j threads]
 *       [-S seed] [-D]
 *
 * -S: the seed of the initialisation (and of dropout: 6 + seed); -D: Adam
 * updates every row of the embedding (as PyTorch's dense Adam), not only the
 * rows a window touched (nlpipe's lazy update of an untied table).
 *
 * TOKENS: one document a line, tokens separated by single spaces; the first
 * NTRAIN lines train, the others validate.  IDS (little-endian int32):
 * "NLMI", V, eos, NTRAIN, NVAL, then each document: n, its n ids (the last
 * is eos).
 *
 * Prints: "corename NAME", "vocab V EOS TRAIN_TOKENS VAL_TOKENS", then an
 * epoch's line: "epoch E TRAIN_LOSS VAL_PPL TOKENS_PER_S SECONDS
 * TOKENS_PER_CPU_S CPU_SECONDS" (training only; CPU: the process's, every
 * thread).
 */
#include "config.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nlpipe/lm.h>

#include "speed_common.h"

char *openblas_get_corename(void);

typedef struct opts {
	const char *tokens, *out, *softmax;
	long ntrain;
	int epochs, E, H, L, V, min_count, B, T, threads, dense, seed;
	double dropout, lr, clip;
} opts;

typedef struct corpus {
	nlp_doc_ids *docs;
	size_t n, ntrain, cap;
	nlp_tokens *toks; /* [n] */
} corpus;

/* One line's tokens (split at spaces) and </s> into t. */
static int line_tokens(nlp_tokens *t, char *line)
{
	for (char *s = strtok(line, " \n"); s; s = strtok(NULL, " \n"))
		if (nlp_tokens_push(t, s, strlen(s)))
			return NLP_ENOMEM;
	return nlp_tokens_push(t, NLP_LM_EOS, strlen(NLP_LM_EOS)) ? NLP_ENOMEM : NLP_OK;
}

static int read_tokens(corpus *c, const char *path, nlp_err *err)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int rc = NLP_OK;

	if (!fp)
		return nlp_err_set(err, NLP_EIO, "%s: cannot open", path);
	while (!rc && getline(&line, &cap, fp) > 0) {
		if (c->n == c->cap) {
			size_t nc = c->cap ? 2 * c->cap : 1024;
			nlp_tokens *t = realloc(c->toks, nc * sizeof *t);
			if (!t) {
				rc = NLP_ENOMEM;
				break;
			}
			memset(t + c->cap, 0, (nc - c->cap) * sizeof *t);
			c->toks = t;
			c->cap = nc;
		}
		rc = line_tokens(&c->toks[c->n++], line);
	}
	free(line);
	fclose(fp);
	if (rc)
		return nlp_err_set(err, rc, "out of memory");
	c->docs = calloc(c->n ? c->n : 1, sizeof *c->docs);
	return c->docs ? NLP_OK : nlp_err_set(err, NLP_ENOMEM, "out of memory");
}

static void corpus_free(corpus *c)
{
	for (size_t i = 0; i < c->n; i++) {
		nlp_tokens_free(&c->toks[i]);
		free(c->docs[i].ids);
	}
	free(c->toks);
	free(c->docs);
}

/* The pipeline of o, its vocabulary from the training documents, set up,
 * initialised (seed -S), given Adam; every document's ids. */
static int build(bench *k, corpus *c, const opts *o, int32_t *eos, nlp_err *err)
{
	char text[1024];
	nlp_doc work = {0};
	nlp_optim_config oc;
	int32_t unk;
	int tied, rc;

	snprintf(text, sizeof text,
	         "[pipeline]\nstages = tokenize, embed, encode, predict\n"
	         "[tokenize]\ntype = tokenizer\n"
	         "[embed]\ntype = embedding\ndim = %d\nmin_count = %d\nmax_size = %d\n"
	         "dropout = %g\n"
	         "[encode]\ntype = lstm\nhidden = %d\nlayers = %d\ndropout = %g\n"
	         "pooling = none\nthreads = %d\n"
	         "[predict]\ntype = next_token\nsoftmax = %s\ndropout = %g\n",
	         o->E, o->min_count, o->V, o->dropout, o->H, o->L, o->dropout, o->threads,
	         o->softmax, o->dropout);
	if ((rc = bench_open(k, text, 3, err)))
		return rc;
	for (size_t i = 0; i < c->ntrain && !rc; i++)
		rc = nlp_pipeline_observe(k->p, &c->toks[i], NULL, -1, err);
	if (!rc)
		rc = nlp_chain_setup(k->p, k->first, 0, err);
	if (!rc)
		rc = nlp_lm_setup(k->p, k->first, &tied, eos, &unk, err);
	for (size_t i = 0; i < c->n && !rc; i++)
		rc = nlp_pipeline_map_ids(k->p, &c->toks[i], &c->docs[i], &work, err);
	free(work.ids);
	if (rc)
		return rc;
	nlp_optim_config_default(&oc); /* Adam, eps 1e-8, as torch.optim.Adam */
	oc.lr = o->lr;
	oc.clip_norm = o->clip; /* as torch.nn.utils.clip_grad_norm_ */
	k->dense = o->dense;
	return bench_init(k, o->seed, &oc, err);
}

static int write_ids(const corpus *c, int V, int32_t eos, const char *path, nlp_err *err)
{
	FILE *fp = fopen(path, "wb");
	int32_t head[5] = {0x494d4c4e /* "NLMI" */, V, eos, (int32_t)c->ntrain,
	                   (int32_t)(c->n - c->ntrain)};
	int bad;

	if (!fp)
		return nlp_err_set(err, NLP_EIO, "%s: cannot write", path);
	bad = fwrite(head, sizeof head, 1, fp) != 1;
	for (size_t i = 0; i < c->n && !bad; i++) {
		const int32_t n = (int32_t)c->docs[i].n;
		bad = fwrite(&n, sizeof n, 1, fp) != 1 ||
		      fwrite(c->docs[i].ids, sizeof(int32_t), c->docs[i].n, fp) != c->docs[i].n;
	}
	bad |= fclose(fp) != 0;
	return bad ? nlp_err_set(err, NLP_EIO, "%s: write failed", path) : NLP_OK;
}

/* One epoch over the training streams; *loss: the mean of the windows'. */
static int train_epoch(bench *k, nlp_lm_stream *ls, nlp_rng *drop, double *loss, nlp_err *err)
{
	double sum = 0.0;
	int rc = NLP_OK;

	for (size_t w = 0; w < ls->windows && !rc; w++) {
		nlp_batch b;
		double v = 0.0;
		memset(&b, 0, sizeof b);
		nlp_lm_stream_window(ls, w, &b);
		b.training = 1;
		b.rng = drop;
		rc = bench_train_step(k, &b, &v, err);
		sum += v;
	}
	*loss = ls->windows ? sum / (double)ls->windows : 0.0;
	return rc;
}

static int run(const opts *o, nlp_err *err)
{
	bench k = {0};
	corpus c = {0};
	nlp_lm_stream ls = {0};
	size_t *order = NULL;
	uint64_t ttok = 0, vtok = 0;
	nlp_rng drop;
	int32_t eos;
	double tokens;
	int rc = read_tokens(&c, o->tokens, err), V;

	if (rc)
		goto out;
	c.ntrain = (size_t)o->ntrain < c.n ? (size_t)o->ntrain : c.n;
	if ((rc = build(&k, &c, o, &eos, err)))
		goto out;
	V = nlp_lm_vocab_size(k.p, k.first);
	for (size_t i = 0; i < c.n; i++)
		*(i < c.ntrain ? &ttok : &vtok) += c.docs[i].n;
	printf("corename %s\nvocab %d %d %llu %llu\n", openblas_get_corename(), V, (int)eos,
	       (unsigned long long)ttok, (unsigned long long)vtok);
	fflush(stdout);
	if (o->out && (rc = write_ids(&c, V, eos, o->out, err)))
		goto out;
	order = malloc((c.ntrain ? c.ntrain : 1) * sizeof *order);
	if (!order) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.ntrain; i++)
		order[i] = i;
	nlp_rng_seed(&drop, 6 + (uint64_t)o->seed);
	for (int e = 1; e <= o->epochs && !rc; e++) {
		nlp_lm_figures f;
		double loss = 0.0, t0 = bench_now(), c0 = bench_cpu_now(), sec, cpu;
		rc = nlp_lm_stream_build(&ls, c.docs, order, c.ntrain, eos, o->B, o->T, 0, err);
		if (!rc)
			rc = train_epoch(&k, &ls, &drop, &loss, err);
		tokens = (double)(ls.windows ? (ls.L - 1) * (size_t)ls.B : 0);
		sec = bench_now() - t0;
		cpu = bench_cpu_now() - c0;
		if (!rc)
			rc = nlp_lm_evaluate(k.p, k.first, c.docs + c.ntrain, c.n - c.ntrain, eos,
			                     -1, 32, o->T, &f, err);
		if (!rc)
			printf("epoch %d %.5f %.4f %.0f %.2f %.0f %.2f\n", e, loss,
			       nlp_lm_perplexity(&f), tokens / sec, sec, tokens / cpu, cpu);
		fflush(stdout);
	}
out:
	nlp_lm_stream_free(&ls);
	free(order);
	corpus_free(&c);
	bench_unbuild(&k);
	return rc;
}

static int usage(const char *argv0, int ok)
{
	fprintf(ok ? stdout : stderr,
	        "usage: %s -t TOKENS -n NTRAIN [-o IDS] [-e epochs] [-E dim] [-H hidden] "
	        "[-L layers] [-V max_vocab] [-M min_count] [-d dropout] [-m full|sampled] "
	        "[-B streams] [-T bptt] [-l lr] [-c clip] [-j threads] [-S seed] [-D]\n",
	        argv0);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	opts o = {.softmax = "sampled",
	          .ntrain = -1,
	          .epochs = 1,
	          .E = 256,
	          .H = 256,
	          .L = 1,
	          .V = 20000,
	          .min_count = 2,
	          .B = 32,
	          .T = 35,
	          .threads = 1,
	          .dropout = 0.2,
	          .lr = 1e-3,
	          .clip = 0.25,
	          .seed = 1};
	nlp_err err = {0};
	int opt;

	while ((opt = getopt(argc, argv, "t:n:o:e:E:H:L:V:M:d:m:B:T:l:c:j:S:Dh")) != -1) {
		switch (opt) {
		case 't':
			o.tokens = optarg;
			break;
		case 'n':
			o.ntrain = atol(optarg);
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'e':
			o.epochs = atoi(optarg);
			break;
		case 'E':
			o.E = atoi(optarg);
			break;
		case 'H':
			o.H = atoi(optarg);
			break;
		case 'L':
			o.L = atoi(optarg);
			break;
		case 'V':
			o.V = atoi(optarg);
			break;
		case 'M':
			o.min_count = atoi(optarg);
			break;
		case 'd':
			o.dropout = atof(optarg);
			break;
		case 'm':
			o.softmax = optarg;
			break;
		case 'B':
			o.B = atoi(optarg);
			break;
		case 'T':
			o.T = atoi(optarg);
			break;
		case 'l':
			o.lr = atof(optarg);
			break;
		case 'c':
			o.clip = atof(optarg);
			break;
		case 'S':
			o.seed = atoi(optarg);
			break;
		case 'D':
			o.dense = 1;
			break;
		case 'j':
			o.threads = atoi(optarg);
			break;
		default:
			return usage(argv[0], opt == 'h');
		}
	}
	if (!o.tokens || o.ntrain < 1 || o.epochs < 0 || o.E < 1 || o.H < 1 || o.L < 1 || o.V < 3 ||
	    o.B < 1 || o.T < 1 || !(o.lr > 0) || o.threads < 1 || o.threads > 64 ||
	    (strcmp(o.softmax, "full") && strcmp(o.softmax, "sampled")))
		return usage(argv[0], 0);
	nlp_numerics_init();
	openblas_set_num_threads(o.threads);
	if (run(&o, &err)) {
		fprintf(stderr, "lm_compare_nlpipe: %s\n", err.msg);
		return 1;
	}
	return 0;
}
