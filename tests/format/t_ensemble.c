/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_ensemble.c - ensembles in the model file (format version 4, MEMBER
 * sections), on tests/fuzz/corpus/model/seed-tiny.nlpm, read with
 * nlp_model_read alone (no modules, so it never skips):
 * nlp_model_save_ensemble of three copies is version 4 with member 0's
 * sections, its metadata plus "ensemble" = the note, and the other members'
 * files byte for byte as MEMBER sections 1 and 2; too few or too many
 * members, a quantized member, an ensemble as a member, a checkpoint and a
 * member with other labels are refused with the path named, leaving no
 * file and no temporary file; hand-made files (CRCs right) with a MEMBER
 * in a version 3 file or a checkpoint, out of order, holding an ensemble, a
 * checkpoint, other labels or half a file are refused as damage naming the
 * file, never a crash, and one with a single good MEMBER loads. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nlpipe/model.h"
#include "tests/tap.h"

static char dir[4096];

/* The path of name in dir, in out (PATH_LEN bytes). */
#define PATH_LEN 4200
static const char *path_in(char *out, const char *name)
{
	snprintf(out, PATH_LEN, "%s/%s", dir, name);
	return out;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* The whole file at path (NULL when it cannot be read). */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *d = NULL;
	long n;

	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (d = malloc((size_t)n)) && fread(d, 1, (size_t)n, f) != (size_t)n) {
		free(d);
		d = NULL;
	}
	if (f)
		fclose(f);
	*len = d ? (size_t)n : 0;
	return d;
}

/* Files in dir other than the ones the test wrote on purpose. */
static int strays(void)
{
	static const char *const keep[] = {"ens.nlpm", "labels.nlpm", "ckpt.nlpm", "dmg.nlpm"};
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		int known = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
		for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
			known |= !strcmp(e->d_name, keep[i]);
		if (!known) {
			diag("stray file: %s", e->d_name);
			n++;
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* A copy of the model at src in out, as format version with header flags,
 * its LABELS payload replaced by labels (when not NULL), a CHECKPOINT
 * section when flags has NLP_MODEL_CHECKPOINT, then one MEMBER section per
 * payload, stage field stages[i].  The CRCs are made right. */
static int make(const char *src, const char *out, uint32_t version, uint32_t flags,
                const nlp_buf *labels, const nlp_buf *payloads, const uint32_t *stages, size_t n)
{
	nlp_model_reader *r = NULL;
	nlp_model_writer *w = NULL;
	nlp_err err = {0};
	int rc = nlp_model_reader_open(&r, src, &err);

	if (!rc)
		rc = nlp_model_writer_open(&w, out, flags, &err);
	if (!rc)
		rc = nlp_model_writer_set_version(w, version, &err);
	for (size_t k = 0; r && k < nlp_model_reader_count(r) && !rc; k++) {
		const nlp_model_section *s = nlp_model_reader_section(r, k);
		int lab = s->type == NLP_SEC_LABELS && labels;
		rc = nlp_model_writer_add(w, s->type, s->stage, lab ? labels->data : s->data,
		                          lab ? labels->len : s->len, &err);
	}
	if (!rc && (flags & NLP_MODEL_CHECKPOINT))
		rc = nlp_model_writer_add(w, NLP_SEC_CHECKPOINT, NLP_MODEL_NO_STAGE, "state", 5,
		                          &err);
	for (size_t k = 0; k < n && !rc; k++)
		rc = nlp_model_writer_add(w, NLP_SEC_MEMBER, stages[k], payloads[k].data,
		                          payloads[k].len, &err);
	if (w)
		rc = rc ? (nlp_model_writer_abort(w), rc) : nlp_model_writer_commit(w, &err);
	if (rc)
		diag("make %s: %s", out, err.msg);
	nlp_model_reader_free(r);
	return rc;
}

/* save_ensemble of paths[0 .. n) into ens.nlpm is refused with code (any
 * error when 0) and a message holding what; no file, no temporary left. */
static void save_refused(const char *const *paths, size_t n, int code, const char *what,
                         const char *name)
{
	nlp_err err = {0};
	char out[PATH_LEN];
	path_in(out, "ens-no.nlpm");
	int rc = nlp_model_save_ensemble(out, paths, n, "refused", &err);

	if (!ok(code ? rc == code : rc != NLP_OK, name))
		diag("rc %d: %s", rc, err.msg);
	like(err.msg, what, "  ... the message names it");
	ok(!exists(out) && !strays(), "  ... no file written, no temporary file left");
	unlink(out);
}

/* nlp_model_read of dmg.nlpm fails with NLP_EDATA naming the file. */
static void read_refused(const char *why, const char *name)
{
	nlp_model *m = NULL;
	nlp_err err = {0};
	char p[PATH_LEN];
	path_in(p, "dmg.nlpm");
	int rc = nlp_model_read(&m, p, &err);

	if (!ok(rc == NLP_EDATA && !m && strstr(err.msg, p) && strstr(err.msg, why), name))
		diag("rc %d: %s", rc, err.msg);
	nlp_model_free(m);
}

int main(void)
{
	const char *sd = getenv("NLP_TOP_SRCDIR"), *tmp = getenv("TMPDIR");
	char seed[PATH_LEN], q8[PATH_LEN], ens[PATH_LEN], lab[PATH_LEN], ckpt[PATH_LEN],
	        dmg[PATH_LEN];
	unsigned char *seed_b = NULL, *ens_b = NULL, *lab_b = NULL, *ckpt_b = NULL;
	size_t seed_n = 0, ens_n = 0, lab_n = 0, ckpt_n = 0;
	nlp_model *s0 = NULL, *m = NULL;
	nlp_model_reader *r = NULL, *rs = NULL;
	nlp_buf swapped = {0}, pay[2];
	nlp_err err = {0};
	int rc, good;

	snprintf(seed, sizeof seed, "%s/tests/fuzz/corpus/model/seed-tiny.nlpm", sd ? sd : ".");
	snprintf(q8, sizeof q8, "%s/tests/fuzz/corpus/model/seed-tiny-q8.nlpm", sd ? sd : ".");
	snprintf(dir, sizeof dir, "%s/nlp-ensemble-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!(seed_b = slurp(seed, &seed_n)) || nlp_model_read(&s0, seed, &err) || !mkdtemp(dir)) {
		printf("Bail out! %s: %s\n", seed, err.msg[0] ? err.msg : strerror(errno));
		return 1;
	}
	path_in(ens, "ens.nlpm");
	path_in(lab, "labels.nlpm");
	path_in(ckpt, "ckpt.nlpm");
	path_in(dmg, "dmg.nlpm");

	/* 1. Three copies of seed-tiny. */
	{
		const char *three[] = {seed, seed, seed};
		rc = nlp_model_save_ensemble(ens, three, 3, "three seeds", &err);
		if (!is_int(rc, NLP_OK, "save_ensemble of 3 copies of seed-tiny"))
			diag("%s", err.msg);
	}
	rc = nlp_model_read(&m, ens, &err);
	if (!is_int(rc, NLP_OK, "the ensemble reads back"))
		diag("%s", err.msg);
	ok(m && m->version == 4 && !(m->flags & NLP_MODEL_CHECKPOINT), "  ... format version 4");
	ok(m && m->n_members == 2, "  ... n_members == 2");
	good = m && m->n_members == 2 && m->n_labels == s0->n_labels && m->n_stages == s0->n_stages;
	for (size_t k = 0; good && k < m->n_members; k++) {
		const nlp_model *o = m->members[k];
		char tag[64];
		snprintf(tag, sizeof tag, "(ensemble member %zu)", k + 1);
		good &= o->n_labels == m->n_labels && o->n_stages == m->n_stages && !o->n_members &&
		        o->version == s0->version && strstr(o->path, ens) && strstr(o->path, tag);
		for (size_t i = 0; good && i < m->n_labels; i++)
			good &= !strcmp(o->labels[i], m->labels[i]) &&
			        !strcmp(m->labels[i], s0->labels[i]);
	}
	ok(good, "  ... each member: the file's labels and stage count, named as a member");
	is_str(m ? nlp_model_meta_get(&m->meta, "ensemble") : NULL, "three seeds",
	       "  ... meta ensemble = the note");
	good = m && m->meta.n == s0->meta.n + 1;
	for (size_t i = 0; good && i < s0->meta.n; i++)
		good &= !strcmp(nlp_model_meta_get(&m->meta, s0->meta.kv[i].key),
		                s0->meta.kv[i].value);
	ok(good, "  ... member 0's metadata kept");
	rc = nlp_model_reader_open(&r, ens, &err) || nlp_model_reader_open(&rs, seed, &err);
	ok(!rc && nlp_model_reader_count(r) == nlp_model_reader_count(rs) + 2,
	   "  ... sections: seed-tiny's + 2");
	good = !rc && nlp_model_reader_count(r) == nlp_model_reader_count(rs) + 2;
	for (size_t i = 0; good && i < nlp_model_reader_count(rs); i++) {
		const nlp_model_section *a = nlp_model_reader_section(rs, i);
		const nlp_model_section *b = nlp_model_reader_section(r, i);
		good &= a->type == b->type && a->stage == b->stage;
		if (a->type != NLP_SEC_META)
			good &= a->len == b->len && !memcmp(a->data, b->data, a->len);
	}
	ok(good, "  ... member 0's sections in order, byte-identical but META");
	good = !rc && nlp_model_reader_count(r) == nlp_model_reader_count(rs) + 2;
	for (size_t k = 1; good && k <= 2; k++) {
		const nlp_model_section *s =
		        nlp_model_reader_section(r, nlp_model_reader_count(rs) + k - 1);
		good &= s->type == NLP_SEC_MEMBER && s->stage == k && s->len == seed_n &&
		        !memcmp(s->data, seed_b, seed_n);
	}
	ok(good, "  ... MEMBER 1 and 2 are seed-tiny's bytes");
	nlp_model_reader_free(r);
	nlp_model_free(m);
	m = NULL;
	ens_b = slurp(ens, &ens_n);

	/* Other labels (the same two, swapped) and a checkpoint, made by hand. */
	nlp_buf_put_u32(&swapped, 2);
	nlp_buf_put_str(&swapped, "pos");
	nlp_buf_put_str(&swapped, "neg");
	rc = make(seed, lab, s0->version, 0, &swapped, NULL, NULL, 0) ||
	     make(seed, ckpt, s0->version, NLP_MODEL_CHECKPOINT, NULL, NULL, NULL, 0);
	rc = rc || nlp_model_read(&m, lab, &err);
	ok(!rc && m && !strcmp(m->labels[0], "pos"),
	   "hand-made models: labels pos, neg; a checkpoint");
	nlp_model_free(m);
	m = NULL;
	lab_b = slurp(lab, &lab_n);
	ckpt_b = slurp(ckpt, &ckpt_n);

	/* 2. and 3. Refusals. */
	{
		const char *many[NLP_ENSEMBLE_MAX + 1];
		for (size_t i = 0; i < NLP_ENSEMBLE_MAX + 1; i++)
			many[i] = seed;
		save_refused(many, 1, NLP_ECONFIG, "not 1",
		             "save_ensemble of 1 model: NLP_ECONFIG");
		save_refused(many, NLP_ENSEMBLE_MAX + 1, NLP_ECONFIG, "not 65",
		             "save_ensemble of 65 models: NLP_ECONFIG");
		const char *withq[] = {seed, q8, seed};
		save_refused(withq, 3, NLP_ECONFIG, q8, "a quantized member is refused");
		const char *withe[] = {seed, ens};
		save_refused(withe, 2, NLP_ECONFIG, ens, "an ensemble as a member is refused");
		const char *withc[] = {ckpt, seed};
		save_refused(withc, 2, NLP_ECONFIG, ckpt, "a checkpoint as a member is refused");
		const char *withl[] = {seed, lab};
		save_refused(withl, 2, 0, lab, "a member with other labels is refused");
	}

	/* 4. Hand-made damage, CRCs right. */
	{
		const uint32_t one[] = {1}, two[] = {2};
		pay[0] = (nlp_buf){.data = seed_b, .len = seed_n};
		if (!make(seed, dmg, 3, 0, NULL, pay, one, 1))
			read_refused("version < 4", "a MEMBER in a version 3 file: NLP_EDATA");
		if (!make(seed, dmg, 4, NLP_MODEL_CHECKPOINT, NULL, pay, one, 1))
			read_refused("checkpoint", "a MEMBER in a checkpoint: NLP_EDATA");
		if (!make(seed, dmg, 4, 0, NULL, pay, two, 1))
			read_refused("out of order", "a first MEMBER with stage 2: NLP_EDATA");
		pay[1] = pay[0];
		const uint32_t twice[] = {1, 1};
		if (!make(seed, dmg, 4, 0, NULL, pay, twice, 2))
			read_refused("out of order", "two MEMBERs with stage 1: NLP_EDATA");
		pay[0] = (nlp_buf){.data = ens_b, .len = ens_n};
		if (!make(seed, dmg, 4, 0, NULL, pay, one, 1))
			read_refused("an ensemble inside an ensemble",
			             "a MEMBER holding an ensemble: NLP_EDATA");
		pay[0] = (nlp_buf){.data = ckpt_b, .len = ckpt_n};
		if (!make(seed, dmg, 4, 0, NULL, pay, one, 1))
			read_refused("checkpoint", "a MEMBER holding a checkpoint: NLP_EDATA");
		pay[0] = (nlp_buf){.data = lab_b, .len = lab_n};
		if (!make(seed, dmg, 4, 0, NULL, pay, one, 1))
			read_refused("labels differ", "a MEMBER with other labels: NLP_EDATA");
		pay[0] = (nlp_buf){.data = seed_b, .len = seed_n / 2};
		if (!make(seed, dmg, 4, 0, NULL, pay, one, 1))
			read_refused("member 1", "a MEMBER of half a file: NLP_EDATA");
		pay[0] = (nlp_buf){.data = seed_b, .len = 0};
		if (!make(seed, dmg, 4, 0, NULL, pay, one, 1))
			read_refused("member 1", "an empty MEMBER: NLP_EDATA");

		/* 5. One good MEMBER. */
		pay[0] = (nlp_buf){.data = seed_b, .len = seed_n};
		rc = make(seed, dmg, 4, 0, NULL, pay, one, 1) || nlp_model_read(&m, dmg, &err);
		if (!ok(!rc && m && m->version == 4 && m->n_members == 1 &&
		                m->members[0]->n_stages == s0->n_stages,
		        "a hand-made version 4 file with one MEMBER reads: n_members == 1"))
			diag("%s", err.msg);
		nlp_model_free(m);
	}

	nlp_model_reader_free(rs);
	nlp_model_free(s0);
	free(swapped.data);
	free(seed_b);
	free(ens_b);
	free(lab_b);
	free(ckpt_b);
	unlink(ens);
	unlink(lab);
	unlink(ckpt);
	unlink(dmg);
	if (rmdir(dir))
		diag("%s: %s", dir, strerror(errno));
	return done_testing();
}
