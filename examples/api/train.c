/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* examples/api/train.c - train an nlpipe model from a program of your own,
 * then classify with it, through libnlpipe's API (nlpipe/trainer.h and
 * nlpipe/classifier.h).
 *
 *     train [-s SECTION.KEY=VALUE]... PIPELINE.ini DATA MODEL [FILE...]
 *
 * Trains the pipeline on the labelled DATA (DIR/<label>/files, or a line
 * file) as `nlpipe train` does, with the same model bytes, and writes the
 * best model to MODEL; one line an epoch goes to standard error.  Then each
 * FILE is one document: prints "NAME<TAB>LABEL<TAB>PROBABILITY" as `nlpipe
 * predict` does.  Ctrl-C stops the training cleanly (the checkpoint
 * MODEL.ckpt is written).  Build it with the Makefile beside it
 * (pkg-config nlpipe).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/classifier.h>
#include <nlpipe/trainer.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* The trainer's events: a line per epoch and what warns or ends the run.
 * Returning non-zero asks the trainer to stop. */
static int on_event(void *user, const nlp_train_event *ev)
{
	(void)user;
	switch (ev->kind) {
	case NLP_TRAIN_START:
		fprintf(stderr, "train: %zu documents (%zu for validation), %d classes\n",
		        ev->documents, ev->validation_documents, ev->classes);
		break;
	case NLP_TRAIN_EPOCH_END:
		fprintf(stderr, "train: epoch %ld/%ld: loss %.4f", ev->epoch, ev->epochs, ev->loss);
		if (ev->validation_documents)
			fprintf(stderr, ", validation accuracy %.4f", ev->accuracy);
		fprintf(stderr, "%s\n", ev->improved ? " (kept)" : "");
		break;
	case NLP_TRAIN_STOPPED_EVENT:
		fprintf(stderr, "train: stopped; checkpoint %s\n", ev->checkpoint);
		break;
	case NLP_TRAIN_DONE:
		fprintf(stderr, "train: model of epoch %ld written to %s\n", ev->best_epoch,
		        ev->output);
		break;
	default:
		break;
	}
	return interrupted != 0;
}

/* The host's warnings (a document a stage refused, a skipped file). */
static void on_warning(void *user, const char *msg)
{
	(void)user;
	fprintf(stderr, "train: warning: %s\n", msg);
}

/* Train PIPELINE on DATA into MODEL with the overrides sets[0..n). */
static int train(const char *pipeline, const char *data, const char *model, const char *const *sets,
                 size_t n)
{
	nlp_trainer_opts o = {
	        .output = model, .data = &data, .n_data = 1, .sets = sets, .n_sets = n};
	nlp_host *h = NULL;
	nlp_trainer *t = NULL;
	nlp_err err = {0};
	int rc;

	rc = nlp_host_new(&h, &err);
	if (!rc) {
		nlp_host_set_diag(h, on_warning, NULL);
		rc = nlp_trainer_new(&t, h, pipeline, &o, &err);
	}
	if (!rc) {
		signal(SIGINT, on_signal);
		rc = nlp_train(t, on_event, NULL, &err);
		signal(SIGINT, SIG_DFL);
	}
	if (rc && rc != NLP_TRAIN_STOPPED)
		fprintf(stderr, "train: %s\n", err.msg);
	nlp_trainer_free(t);
	nlp_host_free(h);
	return rc;
}

/* The whole of a file, NUL-terminated; NULL when it cannot be read. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
	} else {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

/* Classify each file with the model: its best label and probability. */
static int classify(const char *model, char **files, int n)
{
	nlp_classifier *c = NULL;
	nlp_err err = {0};
	float *probs = NULL;
	int rc = nlp_classifier_open(&c, model, NULL, &err);

	if (!rc && !(probs = malloc(nlp_classifier_label_count(c) * sizeof *probs)))
		rc = NLP_ENOMEM;
	for (int i = 0; !rc && i < n; i++) {
		const char *text = slurp(files[i]);
		int status = NLP_EDATA;
		size_t best = 0;
		if (text)
			rc = nlp_classify_texts(c, &text, NULL, 1, probs, &status, &err);
		free((char *)text);
		if (rc || status != NLP_OK) {
			fprintf(stderr, "train: %s: not classified\n", files[i]);
			continue;
		}
		for (size_t k = 1; k < nlp_classifier_label_count(c); k++)
			if (probs[k] > probs[best])
				best = k;
		printf("%s\t%s\t%.6f\n", files[i], nlp_classifier_label(c, best), probs[best]);
	}
	if (rc)
		fprintf(stderr, "train: %s\n", err.msg[0] ? err.msg : "out of memory");
	free(probs);
	nlp_classifier_close(c);
	return rc;
}

int main(int argc, char **argv)
{
	const char **sets = calloc((size_t)argc, sizeof *sets);
	size_t n = 0;
	int i = 1, rc;

	while (i + 1 < argc && !strcmp(argv[i], "-s")) {
		sets[n++] = argv[i + 1];
		i += 2;
	}
	if (argc - i < 3 || !sets) {
		fprintf(stderr, "usage: train [-s SECTION.KEY=VALUE]... PIPELINE.ini DATA MODEL "
		                "[FILE...]\n");
		free(sets);
		return 1;
	}
	nlp_numerics_init();
	rc = train(argv[i], argv[i + 1], argv[i + 2], sets, n);
	if (!rc)
		rc = classify(argv[i + 2], argv + i + 3, argc - i - 3);
	free(sets);
	return rc == NLP_TRAIN_STOPPED ? 130 : rc ? 1 : 0;
}
