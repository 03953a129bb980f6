/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_host.c - the plugin host: loading, refusing with reasons, the search
 * order, the registry, and a pipeline running real module code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlpipe/nlpipe.h"
#include "tests/tap.h"

static char diag_buf[8192];
static int diag_count;

static void collect(void *user, const char *msg)
{
	(void)user;
	diag_count++;
	strncat(diag_buf, msg, sizeof diag_buf - strlen(diag_buf) - 2);
	strcat(diag_buf, "\n");
}

static const char *dir(const char *sub)
{
	static char buf[4][4096];
	static int k;
	static char cwd[2048];
	const char *top = getenv("NLP_TOP_BUILDDIR");
	if (!top) /* run by hand from the build folder */
		top = cwd[0] ? cwd : getcwd(cwd, sizeof cwd);
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/tests/host/%s", top ? top : ".", sub);
	return buf[k];
}

static nlp_host *host_with(const char *sub1, const char *sub2)
{
	nlp_host *h;
	nlp_err err = {0};

	if (nlp_host_new(&h, &err))
		return NULL;
	nlp_host_set_diag(h, collect, NULL);
	if (sub1)
		nlp_host_add_path(h, dir(sub1), &err);
	if (sub2)
		nlp_host_add_path(h, dir(sub2), &err);
	diag_buf[0] = '\0';
	diag_count = 0;
	nlp_host_load_modules(h, &err);
	return h;
}

typedef struct refusal {
	const char *file;
	const char *want1, *want2;
} refusal;

static const refusal refusals[] = {
        {"bad/badabi", "ABI 3.0", "provides ABI 2.5"},
        {"bad/newminor", "ABI 2.6", "rebuild the module"},
        {"bad/nodesc", "not an nlpipe module", "nodesc_LTX_nlp_module"},
        {"bad/dup", "'t_split' is registered by two modules: good", "dup"},
        {"bad/misnamed", "names module 'other'", "'misnamed'"},
        {"bad/badinit", "refused", "always fails to start"},
        {"bad/nonexistent", "cannot load module", "nonexistent"},
        {"bad/smalldesc", "bad/smalldesc: refused",
         "descriptor is 40 bytes (struct_size) but plugin ABI 2.5 needs 80"},
        {"bad/bigdesc", "bad/bigdesc: refused", "descriptor is 88 bytes (struct_size)"},
        {"bad/resdesc", "bad/resdesc: refused", "reserved fields are not zero"},
        {"bad/smallops", "bad/smallops: refused",
         "'t_smallops': its nlp_train_ops is 80 bytes (struct_size) but plugin ABI 2.5 needs 160"},
};

static void run_pipeline(nlp_host *h, const char *text, const char *input, const char *want,
                         const char *name)
{
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_worker *w = NULL;
	nlp_err err = {0};
	const nlp_tokens *t = NULL;
	char got[512] = "";
	int rc;

	rc = nlp_ini_parse(&ini, "mem.ini", text, strlen(text), &err);
	if (!rc)
		rc = nlp_pipeline_new(&p, h, ini, &err);
	if (!rc)
		rc = nlp_worker_new(&w, p, &err);
	if (!rc)
		rc = nlp_worker_run(w, nlp_pipeline_text_end(p), "doc", input, strlen(input), &t,
		                    NULL, NULL, &err);
	if (rc) {
		diag("%s", err.msg);
	} else {
		for (size_t i = 0; i < t->n; i++) {
			strcat(got, i ? " " : "");
			strcat(got, nlp_token(t, i));
		}
	}
	is_str(got, want, name);
	nlp_worker_free(w);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
}

/* A pipeline of the good module's classes, or NULL (err says why). */
static nlp_pipeline *build(nlp_host *h, const char *text, nlp_ini **ini, nlp_err *err)
{
	nlp_pipeline *p = NULL;

	memset(err, 0, sizeof *err);
	*ini = NULL;
	if (nlp_ini_parse(ini, "kinds.ini", text, strlen(text), err) == NLP_OK &&
	    nlp_pipeline_new(&p, h, *ini, err) != NLP_OK)
		p = NULL;
	return p;
}

/* ABI 2.3: an instance's kind follows its options (produces_for), and an
 * ABI 2.2 class (struct_size 72) loads with its fixed kind. */
static void kinds_by_options(nlp_host *h)
{
	static const char seq[] = "[pipeline]\nstages = s, v, k, q\n[s]\ntype = t_split\n"
	                          "[v]\ntype = t_vec\n[k]\ntype = t_kind\nout = sequence\n"
	                          "[q]\ntype = t_seq\n";
	static const char vec[] = "[pipeline]\nstages = s, v, k, q\n[s]\ntype = t_split\n"
	                          "[v]\ntype = t_vec\n[k]\ntype = t_kind\n[q]\ntype = t_seq\n";
	nlp_ini *ini;
	nlp_err err;
	nlp_pipeline *p = build(h, seq, &ini, &err);

	ok(p != NULL, "out = sequence: a sequence reaches the stage that consumes one");
	if (!p)
		diag("%s", err.msg);
	is_int(p ? (int)nlp_pipeline_stage_produces(p, 2) : -1, NLP_KIND_SEQUENCE,
	       "the instance produces a sequence (produces_for)");
	is_int(p ? (int)nlp_pipeline_stage_produces(p, 3) : -1, NLP_KIND_SCORES,
	       "the ABI 2.2 class produces its fixed kind; its produces_for is not read");
	is_int(p ? (int)nlp_pipeline_stage_class(p, 2)->produces : -1, NLP_KIND_VECTOR,
	       "the class keeps its default kind");
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	p = build(h, vec, &ini, &err);
	ok(p == NULL && err.code == NLP_ECONFIG, "the default (vector) does not connect");
	like(err.msg, "stage 'q' (t_seq) consumes sequence, but k gives vector",
	     "the message names the kinds the options give");
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
}

int main(void)
{
	nlp_host *h;
	nlp_err err;
	size_t nref = sizeof refusals / sizeof *refusals;

	plan(30 + 3 * (int)nref);

	/* A good module loads, with all its classes. */
	h = host_with("good", NULL);
	ok(h != NULL, "host made");
	is_int((long long)nlp_host_module_count(h), 1, "one module loaded from good/");
	is_int((long long)nlp_host_class_count(h), 5, "it registers five classes");
	ok(nlp_host_find_class(h, "t_opts", NULL) != NULL, "class t_opts found");
	is_str(nlp_host_module(h, 0)->version, "1.2.3", "module version read");
	is_int(diag_count, 0, "no warnings");

	/* Every kind of refusal, with its reason and the file named. */
	for (size_t i = 0; i < nref; i++) {
		char path[4200], name[300];
		memset(&err, 0, sizeof err);
		snprintf(path, sizeof path, "%s", dir(refusals[i].file));
		int rc = nlp_host_load_module(h, path, &err);
		snprintf(name, sizeof name, "%s refused", refusals[i].file);
		is_int(rc, NLP_EPLUGIN, name);
		snprintf(name, sizeof name, "%s: reason names '%s'", refusals[i].file,
		         refusals[i].want1);
		like(err.msg, refusals[i].want1, name);
		snprintf(name, sizeof name, "%s: reason has '%s'", refusals[i].file,
		         refusals[i].want2);
		like(err.msg, refusals[i].want2, name);
	}
	is_int((long long)nlp_host_class_count(h), 5, "refused modules registered nothing");
	run_pipeline(
	        h,
	        "[pipeline]\nstages = split, rep, rep2\n[split]\ntype = t_split\n"
	        "[rep]\ntype = t_opts\ncount = 2\nsuffix = !\n[rep2]\ntype = t_opts\nsuffix = ?\n",
	        "a  b", "a!? a!? b!? b!?",
	        "a pipeline runs module code; two instances of one class keep their own state");
	nlp_host_free(h);

	/* A folder with good and bad modules: bad ones are reported, the rest load. */
	h = host_with("bad", "good");
	ok(nlp_host_find_class(h, "t_opts", NULL) != NULL, "t_opts found, in good/");
	is_int(diag_count, 0, "looking t_opts up loads no module of bad/: none holds its name");
	nlp_host_free(h);
	h = host_with("bad", "good");
	is_int(diag_count, 0, "finding the modules loads none");
	is_int((long long)nlp_host_module_count(h), 1,
	       "dup (scanned first) loads; good is refused for its t_split");
	is_int(diag_count, 10, "ten refusals reported once listing loaded them all");
	like(diag_buf, "badabi", "the ABI refusal is among them");
	like(diag_buf, "registered by two modules: dup", "the clash names both modules");
	nlp_host_free(h);

	/* Search order: the first folder wins for a module name. */
	h = host_with("order1", "order2");
	ok(nlp_host_find_class(h, "t_order_1", NULL) && !nlp_host_find_class(h, "t_order_2", NULL),
	   "order1 before order2: order1's module is used");
	nlp_host_free(h);
	h = host_with("order2", "order1");
	ok(nlp_host_find_class(h, "t_order_2", NULL) && !nlp_host_find_class(h, "t_order_1", NULL),
	   "order2 before order1: order2's module is used");
	nlp_host_free(h);

	/* A module built for an older minor (2.4: nlp_train_ops without the
	 * 2.5 fields at its end) loads; its ops' missing fields are never read. */
	h = host_with("old", NULL);
	is_int((long long)nlp_host_module_count(h), 1, "an ABI 2.4 module loads");
	ok(nlp_host_find_class(h, "t_old24", NULL) != NULL,
	   "its class, with a 128-byte nlp_train_ops, is registered");
	is_int(diag_count, 0, "no warnings about it");
	nlp_host_free(h);

	/* plugin_path in the file comes before NLPIPE_PLUGIN_PATH. */
	{
		char text[9000];
		nlp_ini *ini = NULL;
		nlp_pipeline *p = NULL;
		setenv("NLPIPE_PLUGIN_PATH", dir("order2"), 1);
		snprintf(text, sizeof text,
		         "[pipeline]\nstages = s, o\nplugin_path = %s, %s\n[s]\ntype = t_split\n"
		         "[o]\ntype = t_order_1\n",
		         dir("order1"), dir("good"));
		nlp_host_new(&h, &err);
		nlp_host_set_diag(h, collect, NULL);
		nlp_ini_parse(&ini, "mem.ini", text, strlen(text), &err);
		is_int(nlp_pipeline_new(&p, h, ini, &err), NLP_OK,
		       "plugin_path's order1 shadows NLPIPE_PLUGIN_PATH's order2");
		if (!p)
			diag("%s", err.msg);
		nlp_pipeline_free(p);
		nlp_ini_free(ini);
		nlp_host_free(h);
	}
	/* The host never searches the current folder implicitly. */
	{
		nlp_ini *ini = NULL;
		nlp_pipeline *p = NULL;
		const char *text = "[pipeline]\nstages = s\n[s]\ntype = t_split\n";
		setenv("NLPIPE_PLUGIN_PATH", "::", 1);
		if (chdir(dir("good")) != 0)
			diag("cannot enter %s", dir("good"));
		nlp_host_new(&h, &err);
		nlp_host_set_diag(h, collect, NULL);
		nlp_ini_parse(&ini, "mem.ini", text, strlen(text), &err);
		memset(&err, 0, sizeof err);
		ok(nlp_pipeline_new(&p, h, ini, &err) != NLP_OK &&
		           !nlp_host_find_class(h, "t_split", NULL),
		   "a module in the current folder is not loaded");
		nlp_pipeline_free(p);
		nlp_ini_free(ini);
		nlp_host_free(h);
	}
	/* Worker and text_end with a stage that leaves the text world. */
	h = host_with("good", NULL);
	{
		nlp_ini *ini = NULL;
		nlp_pipeline *p = NULL;
		const char *text =
		        "[pipeline]\nstages = s, v\n[s]\ntype = t_split\n[v]\ntype = t_vec\n";
		nlp_ini_parse(&ini, "mem.ini", text, strlen(text), &err);
		if (nlp_pipeline_new(&p, h, ini, &err))
			diag("%s", err.msg);
		ok(p && nlp_pipeline_text_end(p) == 1,
		   "text_end stops before a stage that gives vectors");
		if (p) {
			nlp_worker *w = NULL;
			const int32_t *ids = NULL;
			size_t n = 0;
			nlp_worker_new(&w, p, &err);
			nlp_worker_run(w, 2, "d", "x y z", 5, NULL, &ids, &n, &err);
			ok(n == 1 && ids && ids[0] == 3,
			   "ids from a document stage reach the caller");
			nlp_worker_free(w);
		} else {
			skip(1, "no pipeline");
		}
		nlp_pipeline_free(p);
		nlp_ini_free(ini);
	}
	kinds_by_options(h);
	nlp_host_free(h);
	return done_testing();
}
