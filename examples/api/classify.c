/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* examples/api/classify.c - classify text with a trained nlpipe model from
 * a program of your own, through libnlpipe's API (nlpipe/classifier.h).
 *
 *     classify MODEL [FILE...]
 *
 * Each FILE (or, with none, each line of standard input) is one document;
 * prints "NAME<TAB>LABEL<TAB>PROBABILITY" a document, as `nlpipe predict`
 * does.  Build it with the Makefile beside it (pkg-config nlpipe).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/classifier.h>

/* The whole of a file, NUL-terminated; NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			char *nb = realloc(buf, cap = cap * 2 + 4096);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Print one document's best label, or why it has none. */
static void print_one(const nlp_classifier *c, const char *name, const float *probs, int status)
{
	size_t best = 0;

	if (status != NLP_OK) {
		fprintf(stderr, "classify: %s: not classified\n", name);
		return;
	}
	for (size_t k = 1; k < nlp_classifier_label_count(c); k++)
		if (probs[k] > probs[best])
			best = k;
	printf("%s\t%s\t%.6f\n", name, nlp_classifier_label(c, best), probs[best]);
}

int main(int argc, char **argv)
{
	nlp_classifier *c = NULL;
	nlp_err err = {0};
	int code = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: classify MODEL [FILE...]\n");
		return 1;
	}
	nlp_numerics_init();
	if (nlp_classifier_open(&c, argv[1], NULL, &err)) {
		fprintf(stderr, "classify: %s\n", err.msg);
		return 1;
	}
	const size_t C = nlp_classifier_label_count(c);
	float *probs = malloc(C * sizeof *probs);
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int status;

	if (!probs) {
		fprintf(stderr, "classify: out of memory\n");
		code = 1;
	}
	for (int i = 2; i < argc && !code; i++) {
		size_t len = 0;
		char *text = slurp(argv[i], &len);
		const char *texts[1] = {text};
		if (!text) {
			fprintf(stderr, "classify: %s: cannot read it\n", argv[i]);
			code = 2;
			break;
		}
		if (nlp_classify_texts(c, texts, &len, 1, probs, &status, &err)) {
			fprintf(stderr, "classify: %s\n", err.msg);
			code = 1;
		} else {
			print_one(c, argv[i], probs, status);
		}
		free(text);
	}
	for (long n = 1; argc == 2 && !code && (got = getline(&line, &cap, stdin)) >= 0; n++) {
		const char *texts[1] = {line};
		size_t len = (size_t)got;
		char name[32];
		snprintf(name, sizeof name, "line %ld", n);
		if (nlp_classify_texts(c, texts, &len, 1, probs, &status, &err)) {
			fprintf(stderr, "classify: %s\n", err.msg);
			code = 1;
		} else {
			print_one(c, name, probs, status);
		}
	}
	free(line);
	free(probs);
	nlp_classifier_close(c);
	return code;
}
