/* host.c - the plugin host: the search path, loading modules with libltdl,
 * checking their descriptors, and the registry of stage classes. */
#include "config.h"

#include <dirent.h>
#include <ltdl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	host_module *m;
	size_t nm;
	host_class *c;
	size_t nc;
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
		if (h->m[i].handle)
			lt_dlclose(h->m[i].handle);
		free(h->m[i].file);
	}
	for (size_t i = 0; i < h->npaths; i++)
		free(h->paths[i]);
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
	return rc ? rc : nlp_host_add_path(h, NLP_PLUGINS_DIR, err);
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

/* The part of nlp_stage_class that ABI 2.0 modules must provide. */
#define CLASS_MIN_SIZE (offsetof(nlp_stage_class, train) + sizeof(void *))

/* The size of nlp_module and of nlp_train_ops that each minor version of
 * this major requires (index: the minor the module claims).  A minor that
 * adds a field at the end appends the new size; one that uses a reserved
 * slot repeats the old one. */
static const size_t module_sizes[NLP_ABI_MINOR + 1] = {sizeof(nlp_module), sizeof(nlp_module)};
static const size_t train_ops_sizes[NLP_ABI_MINOR + 1] = {sizeof(nlp_train_ops),
                                                          sizeof(nlp_train_ops)};
/* 2.1 added nlp_doc.label, which the host allocates: module-side sizes
 * unchanged. */

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
	const nlp_module_info *mi = &h->m[module].info;
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
	const char *mod = h->m[reg->module].info.name;
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
			                   cls->name, h->m[h->c[i].module].info.name,
			                   h->m[h->c[i].module].file, mod, h->m[reg->module].file);
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
		if (strcmp(h->m[i].info.name, name) == 0)
			return &h->m[i];
	return NULL;
}

int nlp_host_load_module(nlp_host *h, const char *path, nlp_err *err)
{
	lt_dladvise advise = NULL;
	lt_dlhandle handle = NULL;
	const nlp_module *desc;
	char *stem = module_stem(path), *file = NULL;
	host_module *m, *nm;
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
	handle = lt_dlopenadvise(path, advise);
	if (!handle) {
		rc = nlp_err_set(err, NLP_EPLUGIN, "%s: cannot load module: %s", path,
		                 lt_dlerror());
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
	nm = realloc(h->m, (h->nm + 1) * sizeof *nm);
	if (!file || !nm) {
		if (nm)
			h->m = nm;
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	h->m = nm;
	m = &h->m[h->nm];
	memset(m, 0, sizeof *m);
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
	if (desc->init(&reg, &ierr) != NLP_OK || reg.failed) {
		h->nm--;
		h->nc = reg.first; /* forget what it registered */
		rc = nlp_err_set(err, NLP_EPLUGIN, "%s: refused: %s", path,
		                 ierr.msg[0] ? ierr.msg : "its init function failed");
		goto out;
	}
	file = NULL;
	handle = NULL;
out:
	if (handle)
		lt_dlclose(handle);
	if (advise)
		lt_dladvise_destroy(&advise);
	free(file);
	free(stem);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The module files of a folder: base names of *.la, and of *.so without a
 * matching .la, sorted. */
static int scan_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0;

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
		if (!nv)
			break;
		v = nv;
		v[cnt] = strndup(e->d_name, len - 3);
		if (!v[cnt])
			break;
		cnt++;
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof *v, cmp_str);
	*names = v;
	*n = cnt;
	return 0;
}

int nlp_host_load_modules(nlp_host *h, nlp_err *err)
{
	for (size_t p = 0; p < h->npaths; p++) {
		char **names;
		size_t n;
		struct stat st;

		if (stat(h->paths[p], &st) != 0 || !S_ISDIR(st.st_mode))
			continue; /* a folder in the path that does not exist is fine */
		if (scan_dir(h->paths[p], &names, &n) != 0) {
			nlp_host_diag(h, "%s: cannot read the plugin folder", h->paths[p]);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(h->paths[p]) + strlen(names[i]) + 2;
			char *path = malloc(len);
			nlp_err e = {0};
			if (path) {
				snprintf(path, len, "%s/%s", h->paths[p], names[i]);
				if (nlp_host_load_module(h, path, &e))
					nlp_host_diag(h, "%s", e.msg);
			}
			free(path);
			free(names[i]);
		}
		free(names);
	}
	if (h->nm == 0)
		return nlp_err_set(err, NLP_EPLUGIN,
		                   "no nlpipe modules found (searched the pipeline's plugin_path, "
		                   "NLPIPE_PLUGIN_PATH and %s)",
		                   NLP_PLUGINS_DIR);
	return NLP_OK;
}

size_t nlp_host_module_count(const nlp_host *h)
{
	return h->nm;
}

const nlp_module_info *nlp_host_module(const nlp_host *h, size_t i)
{
	return i < h->nm ? &h->m[i].info : NULL;
}

size_t nlp_host_class_count(const nlp_host *h)
{
	return h->nc;
}

const nlp_stage_class *nlp_host_class(const nlp_host *h, size_t i, const nlp_module_info **from)
{
	if (i >= h->nc)
		return NULL;
	if (from)
		*from = &h->m[h->c[i].module].info;
	return h->c[i].cls;
}

const nlp_stage_class *nlp_host_find_class(const nlp_host *h, const char *name,
                                           const nlp_module_info **from)
{
	for (size_t i = 0; i < h->nc; i++)
		if (strcmp(h->c[i].cls->name, name) == 0)
			return nlp_host_class(h, i, from);
	return NULL;
}
