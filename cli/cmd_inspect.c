/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_inspect.c - `nlpipe inspect MODEL`: what a model file holds. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "nlpipe/model.h"
#include "cli/cli.h"

static const char usage[] =
        "Usage: nlpipe inspect [--json] [--check] MODEL\n\n"
        "Show what a model file holds: the stored pipeline and its graph, the\n"
        "labels, the vocabulary size, the parameters of each trainable stage (with their\n"
        "blocks' shapes and the bytes they take in the file: float32, or int8 in a\n"
        "model written by nlpipe quantize), the size of each stage's saved state and\n"
        "the training metadata.  The file is checked completely (every checksum and size)\n"
        "without loading any module.\n\n"
        "  --json    print one JSON object instead of text\n"
        "  --check   also build the pipeline with the installed modules and load\n"
        "            every stage's state and parameters, as predict would (and\n"
        "            name the kernel an encoder's precision = int8 runs on this CPU)\n"
        "  --help    this text\n\n"
        "Exit status: 0 ok, 1 usage or module error, 2 damaged or unreadable model.\n";

/* Text for a terminal: control characters escaped. */
static void put_text(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

static uint64_t total_params(const nlp_model *m, int *n_trainable)
{
	uint64_t n = 0;

	*n_trainable = 0;
	for (size_t i = 0; i < m->n_stages; i++) {
		n += m->stages[i].n_params;
		*n_trainable += m->stages[i].trainable;
	}
	return n;
}

/* Bytes of parameters in the file, all stages. */
static uint64_t stored_bytes(const nlp_model *m)
{
	uint64_t n = 0;

	for (size_t i = 0; i < m->n_stages; i++)
		n += m->stages[i].params_bytes;
	return n;
}

/* Does stage i hold parameters (an embedding, an encoder, a head)?  A
 * trainable text stage (stop words learnt from the data) holds only state. */
static int has_params(const nlp_model *m, size_t i)
{
	return m->stages[i].trainable && m->stages[i].n_blocks;
}

/* Is stage i one that maps tokens to ids: a stage with parameters that reads
 * no stage with parameters?  Its first block's rows are its vocabulary. */
static int is_vocab_stage(const nlp_model *m, size_t i)
{
	const nlp_model_stage *st = &m->stages[i];

	if (!has_params(m, i) || !st->blocks[0].rows)
		return 0;
	for (uint32_t k = 0; k < st->n_inputs; k++)
		if (st->inputs[k] < m->n_stages && has_params(m, st->inputs[k]))
			return 0;
	return 1;
}

/* The first vocabulary's size and stage, or -1 when no stage has one. */
static long long vocab_size(const nlp_model *m, const char **stage)
{
	for (size_t i = 0; i < m->n_stages; i++) {
		if (is_vocab_stage(m, i)) {
			*stage = m->stages[i].name;
			return m->stages[i].blocks[0].rows;
		}
	}
	return -1;
}

/* The graph: each stage and the stages it reads. */
/* Stage i's `precision` (the recurrent encoders'), or NULL when its class
 * has no such option (or the pipeline was not built). */
static const char *stage_precision(const nlp_model *m, size_t i)
{
	const nlp_stage_class *cls = m->pipeline ? nlp_pipeline_stage_class(m->pipeline, i) : NULL;
	for (const nlp_option *o = cls ? cls->options : NULL; o && o->name; o++)
		if (!strcmp(o->name, "precision"))
			return nlp_config_str(nlp_pipeline_stage_config(m->pipeline, i),
			                      "precision");
	return NULL;
}

static void print_graph(const nlp_model *m, FILE *out)
{
	size_t w = 4;

	for (size_t i = 0; i < m->n_stages; i++)
		w = strlen(m->stages[i].name) > w ? strlen(m->stages[i].name) : w;
	fputs("\ngraph (each stage <- what it reads):\n", out);
	for (size_t i = 0; i < m->n_stages; i++) {
		const nlp_model_stage *st = &m->stages[i];
		fputs("  ", out);
		put_text(out, st->name);
		fprintf(out, "%*s <- ", (int)(w - strlen(st->name)), "");
		if (!st->n_inputs)
			fputs("(the document)", out);
		for (uint32_t k = 0; k < st->n_inputs; k++) {
			fputs(k ? ", " : "", out);
			put_text(out, m->stages[st->inputs[k]].name);
		}
		fputc('\n', out);
	}
}

/* The stages table: each stage with its blocks, stored bytes, widths and
 * precision. */
static void print_stages(const nlp_model *m, FILE *out)
{
	size_t w_name = 4, w_class = 5, w_mod = 6;
	char size[32];

	for (size_t i = 0; i < m->n_stages; i++) {
		const nlp_model_stage *st = &m->stages[i];
		size_t lm = strlen(st->module) + 1 + strlen(st->module_version);
		w_name = strlen(st->name) > w_name ? strlen(st->name) : w_name;
		w_class = strlen(st->class_name) > w_class ? strlen(st->class_name) : w_class;
		w_mod = lm > w_mod ? lm : w_mod;
	}
	fprintf(out, "\nstages:\n  %-3s %-*s %-*s %-*s %12s  %s\n", "#", (int)w_name, "name",
	        (int)w_class, "class", (int)w_mod, "module", "parameters", "saved state");
	for (size_t i = 0; i < m->n_stages; i++) {
		const nlp_model_stage *st = &m->stages[i];
		char mod[600];
		snprintf(mod, sizeof mod, "%s %s", st->module, st->module_version);
		fprintf(out, "  %-3zu ", i);
		/* names were checked to hold no NUL; escape the rest while padding */
		put_text(out, st->name);
		fprintf(out, "%*s ", (int)(w_name - strlen(st->name)), "");
		put_text(out, st->class_name);
		fprintf(out, "%*s ", (int)(w_class - strlen(st->class_name)), "");
		put_text(out, mod);
		fprintf(out, "%*s ", (int)(w_mod - strlen(mod)), "");
		if (st->trainable) {
			cli_human_bytes(size, sizeof size, st->state_len);
			fprintf(out, "%12llu  %s\n", (unsigned long long)st->n_params, size);
		} else {
			fprintf(out, "%12s  %s\n", "-", "-");
		}
		for (uint32_t k = 0, col = 0; k < st->n_blocks; k++) {
			const nlp_model_block *b = &st->blocks[k];
			char shape[64];
			if (b->rows || b->cols)
				snprintf(shape, sizeof shape, " %u x %u", b->rows, b->cols);
			else
				snprintf(shape, sizeof shape, " %llu",
				         (unsigned long long)b->count);
			/* wrap before 90 columns */
			if (k && col + strlen(b->name) + strlen(shape) + 2 > 90) {
				fputs(",\n              ", out);
				col = 14;
			} else {
				fputs(k ? ", " : "      blocks: ", out);
				col += k ? 2 : 14;
			}
			put_text(out, b->name);
			fputs(shape, out);
			col += (uint32_t)(strlen(b->name) + strlen(shape));
		}
		if (st->n_blocks)
			fputc('\n', out);
		if (st->trainable && st->n_params) {
			cli_human_bytes(size, sizeof size, st->params_bytes);
			fprintf(out, "      stored: %s", size);
			if (st->n_q8_blocks)
				fprintf(out, " (%u of %u blocks int8)\n", st->n_q8_blocks,
				        st->n_blocks);
			else
				fputs(" (float32)\n", out);
		}
		if (m->pipeline && st->trainable)
			fprintf(out, "      width: in %d%s -> out %d\n", st->in_dim,
			        st->in_dim ? "" : " (token ids)", st->out_dim);
		const char *prec = stage_precision(m, i);
		if (prec && !strcmp(prec, "int8"))
			fprintf(out, "      precision: int8 when predicting (kernel here: %s)\n",
			        nlp_int8_kernel());
		else if (prec && !strcmp(prec, "bf16"))
			fprintf(out,
			        "      precision: bf16, training and predicting (kernel here: "
			        "%s)\n",
			        strcmp(nlp_bf16_kernel(), "none")
			                ? nlp_bf16_kernel()
			                : "none: this CPU runs it at fp32");
		else if (prec)
			fprintf(out, "      precision: %s\n", prec);
	}
}

static void print_text(const nlp_model *m, FILE *out)
{
	const char *vstage = NULL;
	long long vocab = vocab_size(m, &vstage);
	int n_trainable;
	uint64_t params = total_params(m, &n_trainable);
	char size[32];

	cli_human_bytes(size, sizeof size, m->size);
	fputs("model:       ", out);
	put_text(out, m->path);
	fprintf(out, "\nformat:      nlpipe model format %u, %s", m->version, size);
	if (m->writer) {
		fputs(", written by ", out);
		put_text(out, m->writer);
	}
	if (m->n_members)
		fprintf(out,
		        "\nkind:        ensemble of %zu trained models ([train] ensemble: a "
		        "prediction averages their probabilities); each has the stages and "
		        "sizes below\n",
		        m->n_members + 1);
	else
		fprintf(out, "\nkind:        %s\n",
		        m->flags & NLP_MODEL_CHECKPOINT
		                ? "training checkpoint (continue with nlpipe train --resume)"
		                : "trained model");
	if (m->n_labels == 0 && m->n_stages &&
	    !strcmp(m->stages[m->n_stages - 1].class_name, "decoder"))
		fputs("labels:      none (a sequence-to-sequence model: it writes a target text)",
		      out);
	else if (m->n_labels == 0)
		fputs("labels:      none (a language model: it predicts the next token)", out);
	else
		fprintf(out, "labels (%zu): ", m->n_labels);
	for (size_t i = 0; i < m->n_labels; i++) {
		fputs(i ? ", " : "", out);
		put_text(out, m->labels[i]);
	}
	fputs("\nvocabulary:  ", out);
	if (vocab >= 0) {
		fprintf(out, "%lld entries (stage ", vocab);
		put_text(out, vstage);
		fputc(')', out);
		for (size_t i = 0; i < m->n_stages; i++) {
			if (!is_vocab_stage(m, i) || m->stages[i].name == vstage)
				continue;
			fprintf(out, ", %llu entries (stage ",
			        (unsigned long long)m->stages[i].blocks[0].rows);
			put_text(out, m->stages[i].name);
			fputc(')', out);
		}
		fputc('\n', out);
	} else {
		fputs("(not reported)\n", out);
	}
	cli_human_bytes(size, sizeof size, params * 4);
	fprintf(out, "parameters:  %llu (%s of float32) in %d trainable stage%s\n",
	        (unsigned long long)params, size, n_trainable, n_trainable == 1 ? "" : "s");
	if (nlp_model_is_quantized(m)) {
		cli_human_bytes(size, sizeof size, stored_bytes(m));
		fprintf(out,
		        "quantized:   yes (nlpipe quantize): stored in %s, matrices int8 with a "
		        "scale per row\n",
		        size);
	}

	print_stages(m, out);

	print_graph(m, out);
	fputs("\ntraining:\n", out);
	if (!m->meta.n)
		fputs("  (no metadata)\n", out);
	for (size_t i = 0; i < m->meta.n; i++) {
		fputs("  ", out);
		put_text(out, m->meta.kv[i].key);
		fputs(" = ", out);
		put_text(out, m->meta.kv[i].value);
		fputc('\n', out);
	}
	if (m->flags & NLP_MODEL_CHECKPOINT)
		fprintf(out, "  (trainer state: %zu bytes)\n", m->checkpoint.len);

	fputs("\npipeline (as stored):\n", out);
	for (const char *p = m->ini_text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1),
		         p);
		if (n)
			fputs("  ", out);
		put_text(out, line);
		fputc('\n', out);
		p += n + (nl ? 1 : 0);
	}
}

static void print_json(const nlp_model *m, FILE *out, int checked)
{
	const char *vstage = NULL;
	long long vocab = vocab_size(m, &vstage);
	int n_trainable;
	uint64_t params = total_params(m, &n_trainable);

	fputs("{\"path\":", out);
	nlp_json_fputs(out, m->path);
	fprintf(out, ",\"format_version\":%u,\"bytes\":%llu,\"writer\":", m->version,
	        (unsigned long long)m->size);
	nlp_json_fputs(out, m->writer);
	fprintf(out, ",\"checkpoint\":%s,\"quantized\":%s,\"members\":%zu,\"labels\":[",
	        m->flags & NLP_MODEL_CHECKPOINT ? "true" : "false",
	        nlp_model_is_quantized(m) ? "true" : "false", m->n_members + 1);
	for (size_t i = 0; i < m->n_labels; i++) {
		fputs(i ? "," : "", out);
		nlp_json_fputs(out, m->labels[i]);
	}
	fputs("],\"vocabulary\":", out);
	if (vocab >= 0)
		fprintf(out, "%lld", vocab);
	else
		fputs("null", out);
	fprintf(out, ",\"parameters\":%llu,\"stages\":[", (unsigned long long)params);
	for (size_t i = 0; i < m->n_stages; i++) {
		const nlp_model_stage *st = &m->stages[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		nlp_json_fputs(out, st->name);
		fputs(",\"class\":", out);
		nlp_json_fputs(out, st->class_name);
		fputs(",\"module\":", out);
		nlp_json_fputs(out, st->module);
		fputs(",\"module_version\":", out);
		nlp_json_fputs(out, st->module_version);
		fputs(",\"inputs\":[", out);
		for (uint32_t k = 0; k < st->n_inputs; k++) {
			fputs(k ? "," : "", out);
			nlp_json_fputs(out, m->stages[st->inputs[k]].name);
		}
		fprintf(out, "],\"trainable\":%s", st->trainable ? "true" : "false");
		if (st->trainable) {
			fprintf(out,
			        ",\"parameters\":%llu,\"state_bytes\":%llu,\"params_bytes\":%llu,"
			        "\"int8_blocks\":%u,\"blocks\":[",
			        (unsigned long long)st->n_params, (unsigned long long)st->state_len,
			        (unsigned long long)st->params_bytes, st->n_q8_blocks);
			for (uint32_t k = 0; k < st->n_blocks; k++) {
				const nlp_model_block *b = &st->blocks[k];
				fputs(k ? ",{\"name\":" : "{\"name\":", out);
				nlp_json_fputs(out, b->name);
				fprintf(out,
				        ",\"offset\":%llu,\"count\":%llu,\"rows\":%u,\"cols\":%u,"
				        "\"decay\":%s}",
				        (unsigned long long)b->offset, (unsigned long long)b->count,
				        b->rows, b->cols, b->decay ? "true" : "false");
			}
			fputc(']', out);
		}
		fputc('}', out);
	}
	fputs("],\"metadata\":{", out);
	for (size_t i = 0; i < m->meta.n; i++) {
		fputs(i ? "," : "", out);
		nlp_json_fputs(out, m->meta.kv[i].key);
		fputc(':', out);
		nlp_json_fputs(out, m->meta.kv[i].value);
	}
	fputs("},\"pipeline\":", out);
	nlp_json_fputs(out, m->ini_text);
	if (checked)
		fputs(",\"checked\":true", out);
	fputs("}\n", out);
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"check", no_argument, NULL, 'c'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	nlp_model *m = NULL;
	nlp_host *h = NULL;
	nlp_err err = {0};
	int c, json = 0, check = 0, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jch", longopts, NULL)) != -1) {
		if (c == 'j') {
			json = 1;
		} else if (c == 'c') {
			check = 1;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		} else {
			cli_try_help();
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_error("inspect needs exactly one model file");
		cli_try_help();
		return EXIT_USAGE;
	}
	if (nlp_model_read(&m, argv[optind], &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if (check) {
		if ((rc = cli_open_host(&h)))
			goto out;
		if (nlp_model_build(m, h, &err)) {
			rc = cli_fail(&err);
			goto out;
		}
		if (m->warnings && !cli_quiet) {
			for (const char *p = m->warnings; *p;) {
				const char *nl = strchr(p, '\n');
				size_t n = nl ? (size_t)(nl - p) : strlen(p);
				cli_warn("%.*s", (int)n, p);
				p += n + (nl ? 1 : 0);
			}
		}
	}
	if (json)
		print_json(m, stdout, check);
	else
		print_text(m, stdout);
	if (fflush(stdout) || ferror(stdout)) {
		cli_error("cannot write the output");
		rc = EXIT_DATA;
	} else if (check) {
		cli_info("%s: loads with the installed modules", argv[optind]);
	}
out:
	nlp_model_free(m);
	nlp_host_free(h);
	return rc;
}
