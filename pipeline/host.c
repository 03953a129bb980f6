/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* host.c - the plugin host: the search path, loading modules with libltdl,
 * checking their descriptors, and the registry of stage classes.
 *
 * Modules are loaded when needed: nlp_host_load_modules only lists the
 * module files of the search path; looking a class up loads first the
 * modules whose file holds the class's name (a string of the module), then,
 * when it is still unknown, the others in path order; listing classes or
 * modules loads them all.  So a module that crashes in its init function
 * only stops the commands that need it, and while a module loads its file
 * is named by nlp_host_loading_module() for a crash handler. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <ltdl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nlpipe/nlpipe.h"
#include "pipeline/internal.h"

#ifndef NLP_PLUGINS_DIR
#define NLP_PLUGINS_DIR "/usr/local/lib/nlpipe/plugins"
#endif

typedef struct host_module {
	nlp_module_info info;
	char *file;
	lt_dlhandle handle;
} host_module;

typedef struct host_class {
	const nlp_stage_class *cls;
	size_t module;
} host_class;

struct nlp_host {
	char **paths;
	size_t npaths;
	host_module **m; /* each allocated alone: the infos handed out stay put */
	size_t nm;
	host_class *c;
	size_t nc;
	char **pending; /* module files found and not loaded yet, in path order */
	size_t npending;
	int defaults_only_env; /* the installed folder was left out (NLPIPE_PLUGIN_PATH_ONLY) */
	nlp_diag_fn diag;
	void *diag_user;
	int lt_ready;
};

struct nlp_registrar {
	nlp_host *h;
	size_t module; /* index the module will get */
	size_t first;  /* first class it registered */
	int failed;
};

/* The library never prints: without a callback of the program's, warnings
 * are dropped. */
static void default_diag(void *user, const char *msg)
{
	(void)user;
	(void)msg;
}

void nlp_host_diag(const nlp_host *h, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	h->diag(h->diag_user, buf);
}

int nlp_host_new(nlp_host **out, nlp_err *err)
{
	nlp_host *h = calloc(1, sizeof *h);

	*out = NULL;
	if (!h)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (lt_dlinit() != 0) {
		free(h);
		return nlp_err_set(err, NLP_EPLUGIN, "cannot start the module loader: %s",
		                   lt_dlerror());
	}
	h->lt_ready = 1;
	h->diag = default_diag;
	*out = h;
	return NLP_OK;
}

void nlp_host_free(nlp_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nm; i++) {
		if (h->m[i]->handle)
			lt_dlclose(h->m[i]->handle);
		free(h->m[i]->file);
		free(h->m[i]);
	}
	for (size_t i = 0; i < h->npaths; i++)
		free(h->paths[i]);
	for (size_t i = 0; i < h->npending; i++)
		free(h->pending[i]);
	free(h->pending);
	free(h->paths);
	free(h->m);
	free(h->c);
	if (h->lt_ready)
		lt_dlexit();
	free(h);
}

void nlp_host_set_diag(nlp_host *h, nlp_diag_fn fn, void *user)
{
	h->diag = fn ? fn : default_diag;
	h->diag_user = user;
}

int nlp_host_add_path(nlp_host *h, const char *dir, nlp_err *err)
{
	char **p;

	for (size_t i = 0; i < h->npaths; i++)
		if (strcmp(h->paths[i], dir) == 0)
			return NLP_OK;
	p = realloc(h->paths, (h->npaths + 1) * sizeof *p);
	if (!p)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	h->paths = p;
	h->paths[h->npaths] = strdup(dir);
	if (!h->paths[h->npaths])
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	h->npaths++;
	return NLP_OK;
}

/* NLPIPE_PLUGIN_PATH_ONLY set (and not 0): the installed folder is not
 * searched (make check sets it, so a build's tests see only its modules). */
static int path_only(void)
{
	const char *only = getenv("NLPIPE_PLUGIN_PATH_ONLY");
	return only && *only && strcmp(only, "0") != 0;
}

int nlp_host_add_default_paths(nlp_host *h, nlp_err *err)
{
	const char *env = getenv("NLPIPE_PLUGIN_PATH");
	int rc = NLP_OK;

	if (env) {
		char *copy = strdup(env), *save = NULL;
		if (!copy)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		/* Empty elements are ignored: never the current folder implicitly. */
		for (char *d = strtok_r(copy, ":", &save); d && !rc; d = strtok_r(NULL, ":", &save))
			rc = nlp_host_add_path(h, d, err);
		free(copy);
	}
	if (rc)
		return rc;
	if (path_only()) {
		h->defaults_only_env = 1;
		return NLP_OK;
	}
	return nlp_host_add_path(h, NLP_PLUGINS_DIR, err);
}

/* The file of the module whose dlopen or init is running, for a crash
 * handler: the one piece of process-wide state of the library, written
 * only here, around those two calls. */
static const char *volatile loading_now;

const char *nlp_host_loading_module(void)
{
	return loading_now;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The module name a file stands for: its base name without .la/.so. */
static char *module_stem(const char *path)
{
	const char *b = base_name(path);
	size_t n = strlen(b);
	char *s;

	if (n > 3 && (strcmp(b + n - 3, ".la") == 0 || strcmp(b + n - 3, ".so") == 0))
		n -= 3;
	s = strndup(b, n);
	return s;
}

static int valid_class_name(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int valid_kind(nlp_kind k)
{
	return k >= NLP_KIND_TEXT && k <= NLP_KIND_SCORES;
}

nlp_kind nlp_stage_produces(const nlp_stage_class *c, const nlp_config *cfg)
{
	if (NLP_HAS_FIELD(c, nlp_stage_class, produces_for) && c->produces_for && cfg)
		return c->produces_for(cfg);
	return c->produces;
}

/* The part of nlp_stage_class that ABI 2.0 modules must provide. */
#define CLASS_MIN_SIZE (offsetof(nlp_stage_class, train) + sizeof(void *))

/* The size of nlp_module and of nlp_train_ops that each minor version of
 * this major requires (index: the minor the module claims).  A minor that
 * adds a field at the end appends the new size; one that uses a reserved
 * slot repeats the old one. */
#define TRAIN_OPS_2_0 offsetof(nlp_train_ops, lookup_table)
static const size_t module_sizes[NLP_ABI_MINOR + 1] = {sizeof(nlp_module), sizeof(nlp_module),
                                                       sizeof(nlp_module), sizeof(nlp_module),
                                                       sizeof(nlp_module), sizeof(nlp_module)};
static const size_t train_ops_sizes[NLP_ABI_MINOR + 1] = {TRAIN_OPS_2_0, TRAIN_OPS_2_0,
                                                          TRAIN_OPS_2_0, TRAIN_OPS_2_0,
                                                          TRAIN_OPS_2_0, sizeof(nlp_train_ops)};
/* 2.1 added nlp_doc.label, which the host allocates, 2.2 set_thresholds and
 * 2.3 tie and token in reserved slots of nlp_train_ops, and 2.3 fields at the
 * end of nlp_batch (host-allocated) and of nlp_stage_class (read only when
 * its struct_size holds them), 2.4 and 2.5 fields at the end of nlp_batch,
 * 2.5 attention in a reserved slot: module-side minimum sizes unchanged.
 * 2.5 also appended lookup_table, forward_lookup, target_id and carried to
 * nlp_train_ops (read only when its struct_size holds them). */

static int module_reserved_zero(const nlp_module *d)
{
	if (d->reserved0)
		return 0;
	for (size_t i = 0; i < sizeof d->reserved / sizeof *d->reserved; i++)
		if (d->reserved[i])
			return 0;
	return 1;
}

/* A class's nlp_train_ops: the size its module's ABI minor needs, at most
 * what this host knows, reserved slots zero. */
static int check_train_ops(const nlp_host *h, size_t module, const nlp_stage_class *cls,
                           nlp_err *err)
{
	const nlp_train_ops *t = cls->train;
	const nlp_module_info *mi = &h->m[module]->info;
	size_t need = train_ops_sizes[mi->abi_minor];

	if (t->struct_size < need || t->struct_size > sizeof(nlp_train_ops))
		return nlp_err_set(err, NLP_EPLUGIN,
		                   "module %s: stage class '%s': its nlp_train_ops is %u bytes "
		                   "(struct_size) but plugin ABI %u.%u needs %zu and this nlpipe "
		                   "knows at most %zu; set .struct_size = sizeof(nlp_train_ops) "
		                   "and rebuild against this nlpipe's headers",
		                   mi->name, cls->name, (unsigned)t->struct_size, mi->abi_major,
		                   mi->abi_minor, need, sizeof(nlp_train_ops));
	for (size_t i = 0; i < sizeof t->reserved / sizeof *t->reserved; i++)
		if (t->reserved[i])
			return nlp_err_set(err, NLP_EPLUGIN,
			                   "module %s: stage class '%s': a reserved slot of its "
			                   "nlp_train_ops is set; leave them out (zero)",
			                   mi->name, cls->name);
	return NLP_OK;
}

int nlp_register_stage(nlp_registrar *reg, const nlp_stage_class *cls, nlp_err *err)
{
	nlp_host *h = reg->h;
	const char *mod = h->m[reg->module]->info.name;
	host_class *c;

	if (!cls || cls->struct_size < CLASS_MIN_SIZE ||
	    cls->struct_size > sizeof(nlp_stage_class) || !valid_class_name(cls->name) ||
	    !cls->create || !cls->destroy || !valid_kind(cls->consumes) ||
	    !valid_kind(cls->produces)) {
		reg->failed = 1;
		return nlp_err_set(err, NLP_EPLUGIN,
		                   "module %s registers a malformed stage class '%s' (size, name "
		                   "[a-z0-9_], create/destroy and kinds are required)",
		                   mod, cls && cls->name ? cls->name : "?");
	}
	if (!cls->process && !cls->train) {
		reg->failed = 1;
		return nlp_err_set(err, NLP_EPLUGIN,
		                   "module %s: stage class '%s' has neither process nor train "
		                   "functions",
		                   mod, cls->name);
	}
	if (cls->train && check_train_ops(h, reg->module, cls, err)) {
		reg->failed = 1;
		return NLP_EPLUGIN;
	}
	for (const nlp_option *o = cls->options; o && o->name; o++) {
		if (o->type <= NLP_OPT_END || o->type > NLP_OPT_PATH ||
		    (o->type == NLP_OPT_ENUM && !o->choices)) {
			reg->failed = 1;
			return nlp_err_set(err, NLP_EPLUGIN,
			                   "module %s: stage class '%s' option '%s' has a bad type",
			                   mod, cls->name, o->name);
		}
	}
	for (size_t i = 0; i < h->nc; i++) {
		if (strcmp(h->c[i].cls->name, cls->name) == 0) {
			reg->failed = 1;
			return nlp_err_set(err, NLP_EPLUGIN,
			                   "stage class '%s' is registered by two modules: %s (%s) "
			                   "and %s (%s); remove one of them from the plugin path",
			                   cls->name, h->m[h->c[i].module]->info.name,
			                   h->m[h->c[i].module]->file, mod,
			                   h->m[reg->module]->file);
		}
	}
	c = realloc(h->c, (h->nc + 1) * sizeof *c);
	if (!c) {
		reg->failed = 1;
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	h->c = c;
	h->c[h->nc].cls = cls;
	h->c[h->nc].module = reg->module;
	h->nc++;
	return NLP_OK;
}

static host_module *find_module(const nlp_host *h, const char *name)
{
	for (size_t i = 0; i < h->nm; i++)
		if (strcmp(h->m[i]->info.name, name) == 0)
			return h->m[i];
	return NULL;
}

/* The file libltdl would load for path (no extension): path.so, or the
 * dlname of path.la in its folder or its .libs/. */
static char *module_file(const char *path)
{
	char buf[4200], line[512], dl[300] = "";
	FILE *f;

	snprintf(buf, sizeof buf, "%s.so", path);
	if (access(buf, R_OK) == 0)
		return strdup(buf);
	snprintf(buf, sizeof buf, "%s.la", path);
	if (!(f = fopen(buf, "r")))
		return NULL;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "dlname='%299[^']'", dl) == 1)
			break;
	fclose(f);
	if (!dl[0] || strchr(dl, '/'))
		return NULL;
	{
		const char *slash = strrchr(path, '/');
		int dir = slash ? (int)(slash - path) : 1;
		const char *d = slash ? path : ".";
		snprintf(buf, sizeof buf, "%.*s/.libs/%s", dir, d, dl);
		if (access(buf, R_OK) != 0)
			snprintf(buf, sizeof buf, "%.*s/%s", dir, d, dl);
	}
	return strdup(buf);
}

/* Why lt_dlopen failed.  libltdl, trying each extension, reports its last
 * try ("file not found"); the dynamic loader's own reason for the file that
 * exists (not an ELF file, a missing library) is what helps.  lt_err is
 * libltdl's message. */
static int open_error(const char *path, const char *lt_err, nlp_err *err)
{
	char *file = module_file(path);
	const char *why = lt_err ? lt_err : "unknown error";
	void *again = NULL;
	int rc;

	if (file && access(file, F_OK) == 0) {
		again = dlopen(file, RTLD_LAZY | RTLD_LOCAL);
		if (!again)
			why = dlerror();
		rc = nlp_err_set(err, NLP_EPLUGIN,
		                 "%s: cannot load module: %s; remove it from the plugin path or "
		                 "rebuild it",
		                 path, why);
	} else {
		rc = nlp_err_set(err, NLP_EPLUGIN, "%s: cannot load module: no file %s.so or %s.la",
		                 path, path, path);
	}
	if (again)
		dlclose(again);
	free(file);
	return rc;
}

int nlp_host_load_module(nlp_host *h, const char *path, nlp_err *err)
{
	lt_dladvise advise = NULL;
	lt_dlhandle handle = NULL;
	const nlp_module *desc;
	char *stem = module_stem(path), *file = NULL;
	host_module *m = NULL, **nm;
	nlp_registrar reg;
	nlp_err ierr = {0};
	int rc = NLP_OK;

	if (!stem)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (find_module(h, stem)) { /* shadowed by an earlier folder */
		free(stem);
		return NLP_OK;
	}
	if (lt_dladvise_init(&advise) || lt_dladvise_ext(&advise) || lt_dladvise_local(&advise)) {
		rc = nlp_err_set(err, NLP_EPLUGIN, "%s: module loader: %s", path, lt_dlerror());
		goto out;
	}
	loading_now = path;
	handle = lt_dlopenadvise(path, advise);
	loading_now = NULL;
	if (!handle) {
		rc = open_error(path, lt_dlerror(), err);
		goto out;
	}
	desc = lt_dlsym(handle, NLP_MODULE_SYMBOL);
	if (!desc) {
		rc = nlp_err_set(err, NLP_EPLUGIN,
		                 "%s: not an nlpipe module: it has no '%s_LTX_%s' or '%s' "
		                 "descriptor (see docs/writing-a-plugin.md)",
		                 path, stem, NLP_MODULE_SYMBOL, NLP_MODULE_SYMBOL);
		goto out;
	}
	if (desc->abi_major != NLP_ABI_MAJOR || desc->abi_minor > NLP_ABI_MINOR) {
		rc = nlp_err_set(err, NLP_EPLUGIN,
		                 "%s: refused: module built for plugin ABI %u.%u, this nlpipe "
		                 "provides ABI %d.%d; rebuild the module against this nlpipe's "
		                 "headers",
		                 path, desc->abi_major, desc->abi_minor, NLP_ABI_MAJOR,
		                 NLP_ABI_MINOR);
		goto out;
	}
	/* Only now is the rest of the descriptor known to be laid out as ours. */
	if (desc->struct_size < module_sizes[desc->abi_minor] ||
	    desc->struct_size > sizeof(nlp_module)) {
		rc = nlp_err_set(err, NLP_EPLUGIN,
		                 "%s: refused: its descriptor is %u bytes (struct_size) but plugin "
		                 "ABI %u.%u needs %zu and this nlpipe knows at most %zu; write it "
		                 "with NLP_MODULE_HEADER and rebuild against this nlpipe's headers",
		                 path, desc->struct_size, desc->abi_major, desc->abi_minor,
		                 module_sizes[desc->abi_minor], sizeof(nlp_module));
		goto out;
	}
	if (!module_reserved_zero(desc)) {
		rc = nlp_err_set(
		        err, NLP_EPLUGIN,
		        "%s: refused: its descriptor's reserved fields are not zero; leave "
		        "them out of the initializer",
		        path);
		goto out;
	}
	if (!desc->name || !desc->init || !desc->version) {
		rc = nlp_err_set(err, NLP_EPLUGIN,
		                 "%s: refused: its descriptor lacks a name, version or init "
		                 "function",
		                 path);
		goto out;
	}
	if (strcmp(desc->name, stem) != 0) {
		rc = nlp_err_set(err, NLP_EPLUGIN,
		                 "%s: refused: the descriptor names module '%s' but the file is "
		                 "'%s'; a module's file must be named after it",
		                 path, desc->name, stem);
		goto out;
	}
	file = strdup(path);
	m = calloc(1, sizeof *m);
	nm = realloc(h->m, (h->nm + 1) * sizeof *nm);
	if (nm)
		h->m = nm;
	if (!file || !m || !nm) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	h->m[h->nm] = m;
	m->file = file;
	m->handle = handle;
	m->info.file = file;
	m->info.name = desc->name;
	m->info.version = desc->version;
	m->info.description = desc->description ? desc->description : "";
	m->info.abi_major = desc->abi_major;
	m->info.abi_minor = desc->abi_minor;
	reg.h = h;
	reg.module = h->nm;
	reg.first = h->nc;
	reg.failed = 0;
	h->nm++; /* visible to nlp_register_stage while init runs */
	loading_now = file;
	rc = desc->init(&reg, &ierr);
	loading_now = NULL;
	if (rc != NLP_OK || reg.failed) {
		h->nm--;
		h->nc = reg.first; /* forget what it registered */
		rc = nlp_err_set(err, NLP_EPLUGIN, "%s: refused: %s", path,
		                 ierr.msg[0] ? ierr.msg : "its init function failed");
		goto out;
	}
	file = NULL;
	handle = NULL;
	m = NULL;
out:
	if (handle)
		lt_dlclose(handle);
	if (advise)
		lt_dladvise_destroy(&advise);
	free(m);
	free(file);
	free(stem);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The module files of a folder: base names of *.la, and of *.so without a
 * matching .la, sorted.  -1: the folder cannot be read; -2: no memory. */
static int scan_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0;
	int oom = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char **nv;
		int dup = 0;
		if (len < 4 || e->d_name[0] == '.' ||
		    (strcmp(e->d_name + len - 3, ".la") && strcmp(e->d_name + len - 3, ".so")))
			continue;
		for (size_t i = 0; i < cnt; i++)
			if (strlen(v[i]) == len - 3 && strncmp(v[i], e->d_name, len - 3) == 0)
				dup = 1;
		if (dup)
			continue;
		nv = realloc(v, (cnt + 1) * sizeof *nv);
		if (!nv) {
			oom = 1;
			break;
		}
		v = nv;
		v[cnt] = strndup(e->d_name, len - 3);
		if (!v[cnt]) {
			oom = 1;
			break;
		}
		cnt++;
	}
	closedir(d);
	if (oom) {
		while (cnt)
			free(v[--cnt]);
		free(v);
		return -2;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof *v, cmp_str);
	*names = v;
	*n = cnt;
	return 0;
}

/* 1 when a module named stem is loaded or listed to be loaded. */
static int module_known(const nlp_host *h, const char *stem)
{
	if (find_module(h, stem))
		return 1;
	for (size_t i = 0; i < h->npending; i++) {
		char *ps = module_stem(h->pending[i]);
		int same = ps && strcmp(ps, stem) == 0;
		free(ps);
		if (same)
			return 1;
	}
	return 0;
}

/* List dir/name to be loaded when needed, unless a module of that name is
 * known already (an earlier folder shadows a later one). */
static int add_pending(nlp_host *h, const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *path, **v;

	if (module_known(h, name))
		return 0;
	if (!(path = malloc(len)))
		return -1;
	snprintf(path, len, "%s/%s", dir, name);
	if (!(v = realloc(h->pending, (h->npending + 1) * sizeof *v))) {
		free(path);
		return -1;
	}
	h->pending = v;
	h->pending[h->npending++] = path;
	return 0;
}

int nlp_host_load_modules(nlp_host *h, nlp_err *err)
{
	int oom = 0;

	for (size_t p = 0; p < h->npaths; p++) {
		char **names;
		size_t n;
		struct stat st;

		if (stat(h->paths[p], &st) != 0 || !S_ISDIR(st.st_mode))
			continue; /* a folder in the path that does not exist is fine */
		switch (scan_dir(h->paths[p], &names, &n)) {
		case 0:
			break;
		case -2:
			oom = 1;
			continue;
		default:
			nlp_host_diag(h, "%s: cannot read the plugin folder", h->paths[p]);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			if (!oom && add_pending(h, h->paths[p], names[i]))
				oom = 1;
			free(names[i]);
		}
		free(names);
	}
	if (oom)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (h->nm == 0 && h->npending == 0)
		return nlp_err_set(err, NLP_EPLUGIN,
		                   "no nlpipe modules found (searched the pipeline's plugin_path, "
		                   "NLPIPE_PLUGIN_PATH%s%s)",
		                   h->defaults_only_env ? "; NLPIPE_PLUGIN_PATH_ONLY leaves out "
		                                          "the installed folder "
		                                        : " and ",
		                   NLP_PLUGINS_DIR);
	return NLP_OK;
}

/* Load pending module i (a refusal goes to the diag callback) and take it
 * off the list. */
static void load_pending(nlp_host *h, size_t i)
{
	char *path = h->pending[i];
	nlp_err e = {0};

	memmove(h->pending + i, h->pending + i + 1, (h->npending - i - 1) * sizeof *h->pending);
	h->npending--;
	if (nlp_host_load_module(h, path, &e))
		nlp_host_diag(h, "%s", e.msg);
	free(path);
}

static void load_all(nlp_host *h)
{
	while (h->npending)
		load_pending(h, 0);
}

static int holds(const char *buf, size_t len, const char *s, size_t n)
{
	for (const char *p = buf; (size_t)(buf + len - p) >= n;) {
		if (!(p = memchr(p, s[0], (size_t)(buf + len - p) - n + 1)))
			return 0;
		if (memcmp(p, s, n) == 0)
			return 1;
		p++;
	}
	return 0;
}

/* 1 when the module at path may register class name: its file holds the
 * name as a string (or cannot be read: then it may). */
static int may_have(const char *path, const char *name)
{
	char *file = module_file(path), *buf = NULL;
	size_t n = strlen(name) + 1, len = 0;
	int found = 1;
	FILE *f = file ? fopen(file, "rb") : NULL;
	struct stat st;

	if (f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (64 << 20) &&
	    (buf = malloc((size_t)st.st_size + 1)) &&
	    (len = fread(buf, 1, (size_t)st.st_size, f)) == (size_t)st.st_size)
		found = holds(buf, len, name, n);
	if (f)
		fclose(f);
	free(buf);
	free(file);
	return found;
}

static const nlp_stage_class *loaded_class(const nlp_host *h, const char *name,
                                           const nlp_module_info **from)
{
	/* Class names are lower case ([a-z0-9_]+): `type = LSTM` is lstm. */
	for (size_t i = 0; i < h->nc; i++) {
		if (strcasecmp(h->c[i].cls->name, name) == 0) {
			if (from)
				*from = &h->m[h->c[i].module]->info;
			return h->c[i].cls;
		}
	}
	return NULL;
}

/* Listing modules or classes loads every module of the path: the host is
 * logically const (its registry does not change, it is only filled in). */
size_t nlp_host_module_count(const nlp_host *h)
{
	load_all((nlp_host *)h);
	return h->nm;
}

const nlp_module_info *nlp_host_module(const nlp_host *h, size_t i)
{
	load_all((nlp_host *)h);
	return i < h->nm ? &h->m[i]->info : NULL;
}

size_t nlp_host_class_count(const nlp_host *h)
{
	load_all((nlp_host *)h);
	return h->nc;
}

const nlp_stage_class *nlp_host_class(const nlp_host *h, size_t i, const nlp_module_info **from)
{
	load_all((nlp_host *)h);
	if (i >= h->nc)
		return NULL;
	if (from)
		*from = &h->m[h->c[i].module]->info;
	return h->c[i].cls;
}

const nlp_stage_class *nlp_host_find_class(const nlp_host *h, const char *name,
                                           const nlp_module_info **from)
{
	nlp_host *w = (nlp_host *)h; /* loads modules: see nlp_host_module_count */
	const nlp_stage_class *c = loaded_class(h, name, from);

	for (size_t i = 0; !c && i < w->npending;) {
		if (may_have(w->pending[i], name)) {
			load_pending(w, i);
			c = loaded_class(h, name, from);
		} else {
			i++;
		}
	}
	while (!c && w->npending) {
		load_pending(w, 0);
		c = loaded_class(h, name, from);
	}
	return c;
}
