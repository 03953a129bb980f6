/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_ini.c - INI pipeline files: every class of problem is reported with its
 * line, all problems at once; overrides; typed options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlpipe/nlpipe.h"
#include "tests/tap.h"

static nlp_host *host;

static void quiet(void *user, const char *msg)
{
	(void)user;
	(void)msg;
}

/* Build a pipeline from text; returns the result code, message in err. */
static int build(const char *text, size_t len, const char *const *sets, nlp_pipeline **pp,
                 nlp_ini **ip, nlp_err *err)
{
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	int rc;

	memset(err, 0, sizeof *err);
	rc = nlp_ini_parse(&ini, "mem.ini", text, len, err);
	for (int i = 0; !rc && sets && sets[i]; i++)
		rc = nlp_ini_override(ini, sets[i], err);
	if (!rc)
		rc = nlp_pipeline_new(&p, host, ini, err);
	if (pp && !rc) {
		*pp = p;
		*ip = ini;
		return rc;
	}
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	return rc;
}

typedef struct bad_case {
	const char *name;
	const char *text;
	const char *want[3]; /* substrings the message must hold */
} bad_case;

#define HEAD "[pipeline]\nstages = s, o\n[s]\ntype = t_split\n[o]\ntype = t_opts\n"

static const bad_case cases[] = {
        {"unknown section",
         HEAD "suffix = x\n[bogus]\nx = 1\n",
         {"mem.ini:8: unknown section [bogus]"}},
        {"unknown key, did you mean",
         HEAD "sufix = x\n",
         {"mem.ini:7: unknown key 'sufix' in [o]; did you mean 'suffix'?",
          "mem.ini:5: [o] needs 'suffix'"}},
        {"int type",
         HEAD "suffix = x\ncount = two\n",
         {"mem.ini:8: o.count = 'two': int expects a whole number"}},
        {"int range",
         HEAD "suffix = x\ncount = 11\n",
         {"mem.ini:8: o.count = '11': int must be between 0 and 10"}},
        {"float range",
         HEAD "suffix = x\nratio = 1.5\n",
         {"mem.ini:8: o.ratio = '1.5': float must be between 0 and 1"}},
        {"float type", HEAD "suffix = x\nratio = 0.5x\n", {"mem.ini:8:", "expects a number"}},
        {"bool", HEAD "suffix = x\nflag = maybe\n", {"mem.ini:8:", "expects true or false"}},
        {"enum", HEAD "suffix = x\nmode = d\n", {"mem.ini:8:", "must be one of: a, b, c"}},
        {"missing required",
         HEAD,
         {"mem.ini:5: [o] needs 'suffix' (text appended to every token)"}},
        {"unknown class",
         "[pipeline]\nstages = s\n[s]\ntype = t_spit\n",
         {"mem.ini:4: [s] unknown stage class 't_spit'; did you mean 't_split'?", "known: "}},
        {"unknown class, no guess",
         "[pipeline]\nstages = s\n[s]\ntype = zzzzzz\n",
         {"mem.ini:4: [s] unknown stage class 'zzzzzz' (known: t_split, t_opts, t_kind, t_seq, "
          "t_vec)"}},
        {"listed, no section",
         "[pipeline]\nstages = s, ghost\n[s]\ntype = t_split\n",
         {"mem.ini:2: stage 'ghost' is listed in [pipeline] stages but has no [ghost] section"}},
        {"section, not listed",
         "[pipeline]\nstages = s\n[s]\ntype = t_split\n[extra]\ntype = t_vec\n",
         {"mem.ini:5: section [extra] is a stage but is not listed in [pipeline] stages"}},
        {"kinds do not connect",
         "[pipeline]\nstages = o, s\n[s]\ntype = t_split\n[o]\ntype = "
         "t_opts\nsuffix = x\n",
         {"mem.ini:2: stage 'o' (t_opts) consumes tokens, but the document reader gives text",
          "mem.ini:2: stage 's' (t_split) consumes text, but o gives tokens"}},
        {"no [pipeline]", "[s]\ntype = t_split\n", {"no [pipeline] section"}},
        {"empty stages", "[pipeline]\nstages =\n", {"mem.ini:2: [pipeline] stages is empty"}},
        {"stages missing", "[pipeline]\nplugin_path = x\n", {"[pipeline] needs 'stages'"}},
        {"pipeline key typo",
         "[pipeline]\nstages = s\nplugin_pth = x\n[s]\ntype = t_split\n",
         {"mem.ini:3: unknown key 'plugin_pth' in [pipeline]; did you mean 'plugin_path'?"}},
        {"syntax",
         "[pipeline]\nstages = s\nnot a pair\n[s\n[s]\ntype = t_split\n",
         {"mem.ini:3: expected 'key = value'", "mem.ini:4: section header has no closing ']'"}},
        {"key before section",
         "stages = s\n[pipeline]\n",
         {"mem.ini:1: key 'stages' comes before"}},
        {"duplicate key",
         "[pipeline]\nstages = s\nstages = s\n",
         {"mem.ini:3: key 'stages' in [pipeline] is already set at line 2"}},
        {"duplicate section",
         "[pipeline]\nstages = s\n[s]\ntype = t_split\n[s]\n",
         {"mem.ini:5: section [s] appears twice (first at line 3)"}},
        {"missing type",
         "[pipeline]\nstages = s\n[s]\nx = 1\n",
         {"mem.ini:3: [s] needs 'type = CLASS'"}},
        {"listed twice",
         "[pipeline]\nstages = s, s\n[s]\ntype = t_split\n",
         {"mem.ini:2: stage 's' is listed twice"}},
        {"create fails",
         HEAD "suffix = 0123456789012345678901234567890123456789\n",
         {"mem.ini:5: [o] (t_opts): suffix: at most 31 bytes"}},
        /* the graph: input = ... */
        {"input: unknown stage",
         "[pipeline]\nstages = s, v\n[s]\ntype = t_split\n[v]\ntype = t_vec\ninput = ghost\n",
         {"mem.ini:7: [v] input: no stage 'ghost' in [pipeline] stages; name stages listed "
          "there"}},
        {"input: a stage listed later",
         "[pipeline]\nstages = s, o, v\n[s]\ntype = t_split\n[o]\ntype = t_opts\nsuffix = "
         "x\ninput = v\n[v]\ntype = t_vec\n",
         {"mem.ini:8: [o] input: 'v' is not listed before 'o' in [pipeline] stages; a stage "
          "reads only stages listed before it"}},
        {"input: itself",
         "[pipeline]\nstages = s, v\n[s]\ntype = t_split\n[v]\ntype = t_vec\ninput = v\n",
         {"mem.ini:7: [v] input: 'v' is not listed before 'v'"}},
        {"input: named twice",
         "[pipeline]\nstages = s, v\n[s]\ntype = t_split\n[v]\ntype = t_vec\ninput = s, s\n",
         {"mem.ini:7: [v] input: 's' is named twice"}},
        {"input: empty",
         "[pipeline]\nstages = s, v\n[s]\ntype = t_split\n[v]\ntype = t_vec\ninput = ,\n",
         {"mem.ini:7: [v] input is empty: name the stages it reads, or remove the key (the "
          "default is the stage before it)"}},
        {"input: kinds on the edge",
         "[pipeline]\nstages = s, v, o, w\n[s]\ntype = t_split\n[v]\ntype = t_vec\n[o]\ntype = "
         "t_opts\nsuffix = x\ninput = s\n[w]\ntype = t_vec\ninput = v\n",
         {"mem.ini:13: [w] input: 'v' (t_vec) gives vector, but 'w' (t_vec) consumes tokens; "
          "name a stage that gives tokens"}},
        {"input: several into a stage that is not a vector's",
         "[pipeline]\nstages = s, o, p\n[s]\ntype = t_split\n[o]\ntype = t_opts\nsuffix = "
         "x\n[p]\ntype = t_opts\nsuffix = y\ninput = s, o\n",
         {"mem.ini:11: [p] input: a stage of class t_opts consumes tokens and reads one stage; "
          "several inputs are joined only into a stage that consumes vector"}},
        {"a stage nothing reads",
         "[pipeline]\nstages = s, o, v\n[s]\ntype = t_split\n[o]\ntype = t_opts\nsuffix = "
         "x\n[v]\ntype = t_vec\ninput = s\n",
         {"mem.ini:5: [o] (t_opts): no stage reads its output; name it in a later stage's "
          "'input', or remove it from [pipeline] stages"}},
        {"several problems at once",
         HEAD "count = 99\nmode = z\nbogus = 1\n",
         {"mem.ini:7: o.count = '99'", "mem.ini:8: o.mode = 'z'",
          "mem.ini:9: unknown key 'bogus'"}},
};

int main(void)
{
	nlp_err err = {0};
	char path[4096];
	const char *top = getenv("NLP_TOP_BUILDDIR");
	size_t ncases = sizeof cases / sizeof *cases;
	int nwant = 0;

	for (size_t i = 0; i < ncases; i++)
		for (int k = 0; k < 3 && cases[i].want[k]; k++)
			nwant++;
	plan((int)ncases + nwant + 18);
	setenv("NLPIPE_PLUGIN_PATH", "", 1);
	snprintf(path, sizeof path, "%s/tests/host/good", top ? top : ".");
	nlp_host_new(&host, &err);
	nlp_host_set_diag(host, quiet, NULL);
	nlp_host_add_path(host, path, &err);

	for (size_t i = 0; i < ncases; i++) {
		int rc = build(cases[i].text, strlen(cases[i].text), NULL, NULL, NULL, &err);
		char name[300];
		snprintf(name, sizeof name, "%s: configuration error", cases[i].name);
		is_int(rc, NLP_ECONFIG, name);
		for (int k = 0; k < 3 && cases[i].want[k]; k++) {
			snprintf(name, sizeof name, "%s: message %d", cases[i].name, k + 1);
			like(err.msg, cases[i].want[k], name);
		}
	}

	/* Binary junk and bad encodings. */
	is_int(build("[pipeline]\n\0\x01\x02", 15, NULL, NULL, NULL, &err), NLP_ECONFIG,
	       "NUL bytes refused");
	like(err.msg, "mem.ini:2: NUL byte", "NUL byte located");
	is_int(build("[pipeline]\nstages = \xff\xfe\n", 21, NULL, NULL, NULL, &err), NLP_ECONFIG,
	       "invalid UTF-8 refused");
	like(err.msg, "mem.ini:2: invalid UTF-8", "invalid UTF-8 located");

	/* Overrides. */
	{
		const char *sets[] = {"o.suffix=!", "o.count = 2", NULL};
		nlp_pipeline *p = NULL;
		nlp_ini *ini = NULL;
		int rc = build(HEAD, strlen(HEAD), sets, &p, &ini, &err);
		is_int(rc, NLP_OK, "--set supplies a required option");
		if (p) {
			const nlp_config *c = nlp_pipeline_stage_config(p, 1);
			is_int(nlp_config_int(c, "count"), 2, "--set value is used");
			is_str(nlp_config_str(c, "suffix"), "!", "--set string value");
			is_double(nlp_config_float(c, "ratio"), 0.5, 0, "default float");
			is_int(nlp_config_bool(c, "flag"), 0, "default bool");
			is_str(nlp_config_str(c, "mode"), "a", "default enum");
		} else {
			diag("%s", err.msg);
			skip(5, "no pipeline");
		}
		nlp_pipeline_free(p);
		nlp_ini_free(ini);
	}
	{
		const char *sets[] = {"o.count=12", NULL};
		is_int(build(HEAD "suffix = x\n", strlen(HEAD) + 11, sets, NULL, NULL, &err),
		       NLP_ECONFIG, "--set value is checked like the file's");
		like(err.msg, "--set o.count: o.count = '12'", "--set problem names the override");
	}
	{
		const char *sets[] = {"v.input=ghost", NULL};
		const char *t =
		        "[pipeline]\nstages = s, v\n[s]\ntype = t_split\n[v]\ntype = t_vec\n";
		is_int(build(t, strlen(t), sets, NULL, NULL, &err), NLP_ECONFIG,
		       "--set input is checked like the file's");
		like(err.msg, "--set v.input: [v] input: no stage 'ghost'",
		     "--set input problem names the override");
	}
	{
		const char *sets[] = {"count=3", NULL};
		is_int(build(HEAD, strlen(HEAD), sets, NULL, NULL, &err), NLP_ECONFIG,
		       "malformed --set refused");
		like(err.msg, "expected SECTION.KEY=VALUE", "malformed --set explained");
	}
	/* Paths are relative to the file's folder; list options are split. */
	{
		char dir[] = "/tmp/nlp_t_ini_XXXXXX", file[4200], want[4200];
		FILE *f;
		nlp_ini *ini = NULL;
		nlp_pipeline *p = NULL;
		if (!mkdtemp(dir))
			return 1;
		snprintf(file, sizeof file, "%s/p.ini", dir);
		f = fopen(file, "w");
		fputs(HEAD "suffix = x\nfile = words.txt\nwords = a, b ,c,,\n", f);
		fclose(f);
		nlp_ini_read(&ini, file, &err);
		if (ini)
			nlp_pipeline_new(&p, host, ini, &err);
		snprintf(want, sizeof want, "%s/words.txt", dir);
		if (p) {
			size_t n;
			const char *const *w =
			        nlp_config_list(nlp_pipeline_stage_config(p, 1), "words", &n);
			is_str(nlp_config_str(nlp_pipeline_stage_config(p, 1), "file"), want,
			       "relative path resolved against the INI folder");
			ok(n == 3 && !strcmp(w[0], "a") && !strcmp(w[1], "b") && !strcmp(w[2], "c"),
			   "list split and trimmed, empty items dropped");
		} else {
			diag("%s", err.msg);
			skip(2, "no pipeline");
		}
		nlp_pipeline_free(p);
		nlp_ini_free(ini);
		unlink(file);
		rmdir(dir);
	}
	nlp_host_free(host);
	return done_testing();
}
