/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_train.c - `nlpipe train PIPELINE.ini DATA... -o MODEL`: the options,
 * then the trainer of libnlpipe (nlpipe/trainer.h) does the work; this file
 * prints its events and turns SIGINT and SIGTERM into a clean stop. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/trainer.h"
#include "cli/cli.h"
#include "cli/data.h"
#include "cli/progress.h"

static const char usage[] =
        "Usage: nlpipe train [OPTIONS] PIPELINE.ini DATA... -o MODEL\n\n"
        "Train the pipeline's trainable stages on labelled DATA (document folders\n"
        "DIR/<label>/..., `label<TAB>text` or `__label__X text` line files) and write\n"
        "the best model (by the [train] metric on the validation data) to MODEL.\n"
        "A language model (a pipeline that ends in next_token, such as examples/lm.ini)\n"
        "trains on any text instead, its labels ignored, and is kept by its validation\n"
        "perplexity (one document a line: --input-format lines --line-format plain).\n\n"
        "Options:\n"
        "  -o, --output MODEL       where to write the model (required)\n"
        "  --set SECTION.KEY=VALUE  override the pipeline file (repeatable)\n"
        "  --keep-last              also write the last epoch's model to MODEL.last\n"
        "  --data-memory MB         keep up to MB of the data's tokens in memory (16);\n"
        "                           beyond, they go to a temporary file beside MODEL,\n"
        "                           so memory does not grow with the data (0: always)\n"
        "  --resume CHECKPOINT      continue a run from its checkpoint (MODEL.ckpt); the\n"
        "                           pipeline comes from it (PIPELINE.ini is not read) and\n"
        "                           --set may change only [train] options\n"
        "  -q, --quiet              no progress and no summaries\n"
        "  -v, --verbose            name every skipped document\n"
        "  -h, --help               this text\n\n" DATA_USAGE
        "\nCheckpoints go to MODEL.ckpt at the end of every epoch (and every\n"
        "checkpoint_every steps).  On SIGINT or SIGTERM the current step finishes, a\n"
        "checkpoint is written and the command says how to resume (exit status 130);\n"
        "an ensemble ([train] ensemble) is not resumed: it stops and keeps nothing.\n";

/* What the event printer needs. */
typedef struct train_view {
	progress pg;
	int argc;
	char **argv; /* the command line, for the resume hint */
	int first;   /* argv[first] is PIPELINE.ini */
	const char *out;
	cli_signals sig; /* SIGINT and SIGTERM, caught while training (not while reading the
	                  * data) */
} train_view;

/* A data set's summary: what was read and what was left out. */
static void print_data(const nlp_train_event *ev)
{
	char line[1024];

	if (ev->s2s) {
		cli_info("read %llu source<TAB>target pairs (%llu bytes) from %llu file%s",
		         (unsigned long long)ev->reader->docs,
		         (unsigned long long)ev->reader->bytes,
		         (unsigned long long)ev->reader->files, ev->reader->files == 1 ? "" : "s");
		return;
	}
	nlp_reader_summary(ev->reader, line, sizeof line);
	cli_info("%s", line);
	if (ev->unlabelled)
		cli_info("%llu documents left out: no known label (--verbose names them)",
		         (unsigned long long)ev->unlabelled);
	if (ev->refused)
		cli_info("%llu documents left out: a stage refused them (named above)",
		         (unsigned long long)ev->refused);
}

/* The epoch's line. */
static void print_epoch(const nlp_train_event *ev)
{
	if (ev->lm && ev->validation_documents)
		cli_info("epoch %ld/%ld: train loss %.4f (perplexity %.2f); validation perplexity "
		         "%.2f, loss %.4f%s; %.1f s, %.0f tokens/s",
		         ev->epoch, ev->epochs, ev->loss, exp(ev->loss), ev->perplexity,
		         ev->validation_loss, ev->improved ? " (best so far, saved)" : "",
		         ev->seconds, ev->tokens_per_second);
	else if (ev->s2s && ev->validation_documents)
		cli_info("epoch %ld/%ld: train loss %.4f (per token); validation token accuracy "
		         "%.4f, exact match %.4f (teacher forced), loss %.4f%s; %.1f s, %.0f "
		         "tokens/s",
		         ev->epoch, ev->epochs, ev->loss, ev->accuracy, ev->macro_f1,
		         ev->validation_loss, ev->improved ? " (best so far, saved)" : "",
		         ev->seconds, ev->tokens_per_second);
	else if (ev->validation_documents)
		cli_info("epoch %ld/%ld: train loss %.4f; validation accuracy %.4f, macro-F1 %.4f, "
		         "loss %.4f%s; %.1f s, %.0f tokens/s",
		         ev->epoch, ev->epochs, ev->loss, ev->accuracy, ev->macro_f1,
		         ev->validation_loss, ev->improved ? " (best so far, saved)" : "",
		         ev->seconds, ev->tokens_per_second);
	else
		cli_info("%sepoch %ld/%ld: train loss %.4f%s; %.1f s, %.0f tokens/s%s",
		         ev->refit == 2 ? "refit " : "", ev->epoch, ev->epochs, ev->loss,
		         ev->lm || ev->s2s ? " (per token)" : "", ev->seconds,
		         ev->tokens_per_second, ev->improved ? " (saved)" : "");
}

/* Interrupted: where the checkpoint is and the command that goes on. */
static void print_stopped(const train_view *v, const nlp_train_event *ev)
{
	if (ev->members) {
		cli_error("interrupted in member %d of %d of the ensemble; an ensemble is not "
		          "resumed and nothing was kept: train it again",
		          ev->member, ev->members);
		return;
	}
	cli_error("interrupted at epoch %ld, step %ld; checkpoint written to %s", ev->epoch,
	          ev->step, ev->checkpoint);
	fprintf(stderr, "nlpipe: resume with: nlpipe train --resume %s %s", ev->checkpoint,
	        v->argv[v->first]);
	for (int i = v->first + 1; i < v->argc; i++)
		fprintf(stderr, " %s", v->argv[i]);
	fprintf(stderr, " -o %s\n", v->out);
}

/* The last line of a run: which model was kept, and why. */
static void print_done(const nlp_train_event *ev)
{
	if (ev->members && !ev->member) {
		cli_info("ensemble of %d members written to %s", ev->members, ev->output);
		return;
	}
	if (ev->member) { /* one member: kept for the ensemble */
		if (ev->refit == 2)
			cli_info("member %d of %d: refit for %ld epoch%s (validation %s %.4f at "
			         "that epoch in the first run)",
			         ev->member, ev->members, ev->best_epoch,
			         ev->best_epoch == 1 ? "" : "s", ev->metric, ev->best);
		else if (ev->validation_documents)
			cli_info("member %d of %d: the model of epoch %ld (validation %s %.4f)",
			         ev->member, ev->members, ev->best_epoch, ev->metric, ev->best);
		else
			cli_info("member %d of %d: the model of epoch %ld, the last (no validation "
			         "documents)",
			         ev->member, ev->members, ev->best_epoch);
		return;
	}
	if (ev->refit == 2)
		cli_info("refit on all %zu documents for %ld epoch%s (validation %s %.4f at epoch "
		         "%ld in the first run, %zu documents held out) written to %s",
		         ev->documents, ev->best_epoch, ev->best_epoch == 1 ? "" : "s", ev->metric,
		         ev->best, ev->best_epoch, ev->first_validation_documents, ev->output);
	else if (ev->validation_documents)
		cli_info("best model (epoch %ld, validation %s %.4f) written to %s", ev->best_epoch,
		         ev->metric, ev->best, ev->output);
	else
		cli_info("model of epoch %ld, the last (no validation documents to pick the best "
		         "by), written to %s",
		         ev->best_epoch, ev->output);
	if (ev->refit == 1 && !ev->validation_documents)
		cli_info("[train] refit: nothing to refit, no documents were held out");
}

/* The trainer's events as the lines of nlpipe train; asks to stop once a
 * signal came. */
static int on_event(void *user, const nlp_train_event *ev)
{
	train_view *v = user;

	if (ev->kind != NLP_TRAIN_PROGRESS)
		progress_end(&v->pg);
	switch (ev->kind) {
	case NLP_TRAIN_DATA:
		if (!cli_quiet)
			print_data(ev);
		break;
	case NLP_TRAIN_RESUMED:
		cli_info("resuming %s: %ld epochs and %ld steps done", ev->checkpoint, ev->epoch,
		         ev->step);
		break;
	case NLP_TRAIN_START:
		if (ev->s2s && ev->target_classes)
			cli_info("sequence to sequence: %zu pairs (%zu validation); vocabulary %d, "
			         "target vocabulary %d, %d threads",
			         ev->documents, ev->validation_documents, ev->classes,
			         ev->target_classes, ev->threads);
		else if (ev->s2s)
			cli_info("sequence to sequence: %zu pairs (%zu validation); vocabulary %d, "
			         "%d threads",
			         ev->documents, ev->validation_documents, ev->classes, ev->threads);
		else if (ev->lm)
			cli_info("language model: %zu documents (%zu validation), labels ignored; "
			         "vocabulary %d, %d threads",
			         ev->documents, ev->validation_documents, ev->classes, ev->threads);
		else if (ev->refit == 2)
			cli_info(
			        "refit: training on all %zu documents for %ld epoch%s, %d classes, "
			        "%d threads",
			        ev->documents, ev->epochs, ev->epochs == 1 ? "" : "s", ev->classes,
			        ev->threads);
		else
			cli_info("training on %zu documents (%zu validation), %d classes, %d "
			         "threads%s",
			         ev->documents, ev->validation_documents, ev->classes, ev->threads,
			         ev->refit ? "; the validation picks the epochs of the refit" : "");
		if (ev->init_from && *ev->init_from)
			cli_info("stages from %s: %s (frozen in the first %ld epochs%s); the "
			         "others train from scratch",
			         ev->init_from, ev->init_stages, ev->freeze_epochs,
			         ev->unfreeze_gradual ? ", then unfrozen one per epoch from the "
			                                "head down"
			                              : "");
		if (!cli_quiet) {
			char note[320];
			if (nlp_blas_note(note, sizeof note))
				cli_warn("%s", note);
		}
		cli_catch_signals(&v->sig);
		progress_init(&v->pg, cli_quiet);
		v->pg.what = ev->refit == 2 ? "refit" : "epoch";
		break;
	case NLP_TRAIN_PROGRESS:
		progress_update(&v->pg, ev->epoch, ev->epochs, ev->batch, ev->batches, ev->loss,
		                ev->tokens, ev->seconds);
		break;
	case NLP_TRAIN_EPOCH_END:
		print_epoch(ev);
		break;
	case NLP_TRAIN_TIME_LIMIT:
		cli_info("time limit of %g s reached in epoch %ld; best was epoch %ld",
		         ev->time_limit, ev->epoch, ev->best_epoch);
		break;
	case NLP_TRAIN_EARLY_STOP:
		cli_info("early stopping: no better validation %s for %ld epochs; best was "
		         "epoch %ld",
		         ev->metric, ev->patience, ev->best_epoch);
		break;
	case NLP_TRAIN_STOPPED_EVENT:
		cli_release_signals(&v->sig);
		print_stopped(v, ev);
		break;
	case NLP_TRAIN_DONE:
		print_done(ev);
		break;
	case NLP_TRAIN_MEMBER:
		cli_info("ensemble member %d of %d (seed %ld)", ev->member, ev->members, ev->seed);
		break;
	case NLP_TRAIN_REFIT:
		cli_info("best epoch %ld (validation %s %.4f); [train] refit: training again from "
		         "the start on all %zu documents for %ld epoch%s",
		         ev->best_epoch, ev->metric, ev->best, ev->documents, ev->epochs,
		         ev->epochs == 1 ? "" : "s");
		break;
	default:
		break;
	}
	return cli_stop_signal != 0;
}

int cmd_train(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"output", required_argument, NULL, 'o'},
	        {"set", required_argument, NULL, 's'},
	        {"keep-last", no_argument, NULL, 'k'},
	        {"resume", required_argument, NULL, 'r'},
	        {"data-memory", required_argument, NULL, 'M'},
	        DATA_LONGOPTS,
	};
	cli_sets sets = {0};
	nlp_reader_opts ro;
	nlp_trainer_opts o = {0};
	nlp_host *h = NULL;
	nlp_trainer *t = NULL;
	train_view v;
	nlp_err err = {0};
	int c, rc = 0, code = 0;

	memset(&v, 0, sizeof v);
	cli_steady_heap();
	data_begin(&ro);
	while ((c = data_getopt(argc, argv, "o:s:qvh", longopts, usage, &ro, &code)) >= 0) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 's':
			if ((code = cli_sets_add(&sets, optarg)))
				goto out;
			break;
		case 'k':
			o.keep_last = 1;
			break;
		case 'r':
			o.resume = optarg;
			break;
		case 'M':
			if ((code = cli_long_arg("data-memory", optarg, 0, 1L << 30,
			                         &o.data_memory)))
				goto out;
			o.data_memory = o.data_memory ? o.data_memory : -1; /* 0: always the file */
			break;
		}
	}
	if (c == -2)
		goto out;
	ro.verbose = cli_verbose;
	if ((code = data_paths(argc, argv, "train", o.output, "MODEL", usage, &o.data, &o.n_data)))
		goto out;
	o.reader = &ro;
	o.sets = sets.v;
	o.n_sets = (size_t)sets.n;
	v.argc = argc;
	v.argv = argv;
	v.first = optind;
	v.out = o.output;
	nlp_numerics_init();
	rc = nlp_host_new(&h, &err);
	if (!rc) {
		nlp_host_set_diag(h, cli_diag, NULL);
		rc = nlp_trainer_new(&t, h, argv[optind], &o, &err);
	}
	if (!rc)
		rc = nlp_train(t, on_event, &v, &err);
	progress_end(&v.pg);
	cli_release_signals(&v.sig);
	if (rc == NLP_TRAIN_STOPPED)
		code = 130;
	else if (rc)
		code = cli_fail(&err);
out:
	nlp_trainer_free(t);
	nlp_host_free(h);
	cli_sets_free(&sets);
	return code;
}
