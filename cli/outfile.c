/* outfile.c - see outfile.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/outfile.h"

int outfile_open(outfile *o, const char *path, nlp_err *err)
{
	int fd;

	memset(o, 0, sizeof *o);
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return NLP_OK;
	}
	o->path = strdup(path);
	o->tmp = malloc(strlen(path) + 16);
	if (!o->path || !o->tmp) {
		outfile_abort(o);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	sprintf(o->tmp, "%s.tmp.XXXXXX", path);
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		int e = errno;
		free(o->tmp);
		o->tmp = NULL;
		outfile_abort(o);
		return nlp_err_set(err, NLP_EIO, "%s: cannot create a file beside it: %s", path,
		                   strerror(e));
	}
	{
		mode_t um = umask(0);
		umask(um);
		fchmod(fd, 0666 & ~um); /* as a plain fopen would */
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		close(fd);
		outfile_abort(o);
		return nlp_err_set(err, NLP_EIO, "%s: %s", path, strerror(errno));
	}
	return NLP_OK;
}

int outfile_commit(outfile *o, nlp_err *err)
{
	int rc = NLP_OK;

	if (!o->path) {
		if (fflush(stdout) != 0 || ferror(stdout))
			rc = nlp_err_set(err, NLP_EIO, "cannot write to standard output: %s",
			                 strerror(errno));
		o->f = NULL;
		return rc;
	}
	if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)
		rc = nlp_err_set(err, NLP_EIO, "%s: cannot write: %s", o->path, strerror(errno));
	if (fclose(o->f) != 0 && !rc)
		rc = nlp_err_set(err, NLP_EIO, "%s: cannot write: %s", o->path, strerror(errno));
	o->f = NULL;
	if (!rc && rename(o->tmp, o->path) != 0)
		rc = nlp_err_set(err, NLP_EIO, "%s: cannot replace it: %s", o->path,
		                 strerror(errno));
	if (!rc) {
		free(o->tmp);
		o->tmp = NULL;
	}
	outfile_abort(o);
	return rc;
}

void outfile_abort(outfile *o)
{
	if (o->f && o->f != stdout)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp) {
		unlink(o->tmp);
		free(o->tmp);
	}
	o->tmp = NULL;
	free(o->path);
	o->path = NULL;
}
