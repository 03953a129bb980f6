# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# cli/: the nlpipe command.  It parses arguments and prints; the work is in
# libnlpipe (pipeline/) and the modules.  One file a command (cmd_NAME.c,
# registered in main.c), the shared option and message helpers (cli.c), and
# the reader options of the commands that read data (data.c).
bin_PROGRAMS += nlpipe
nlpipe_SOURCES = \
	cli/cli.h cli/cli.c \
	cli/main.c \
	cli/data.h cli/data.c \
	cli/progress.h cli/progress.c \
	cli/outfile.h cli/outfile.c \
	cli/cmd_plugins.c \
	cli/cmd_check.c \
	cli/cmd_tokenize.c \
	cli/cmd_inspect.c \
	cli/cmd_train.c \
	cli/cmd_predict.c \
	cli/cmd_eval.c \
	cli/cmd_tune.c \
	cli/cmd_generate.c \
	cli/cmd_quantize.c
nlpipe_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
nlpipe_LDADD = libnlpipe.la $(OPENBLAS_LIBS) $(PTHREAD_LIBS) -lm

# The build tree runs like an installation: _build/nlpipe reads this file to
# find the modules of this build and the data of this source tree.
noinst_DATA = nlpipe-uninstalled
nlpipe-uninstalled: Makefile
	$(AM_V_GEN){ echo "plugins=$(abs_top_builddir)/plugins"; \
	  echo "data=$(abs_top_srcdir)/data"; } >$@.tmp && mv $@.tmp $@
CLEANFILES += nlpipe-uninstalled

# Bash completion (data/bash-completion/nlpipe), where configure says.
if NLP_BASH_COMPLETION
dist_bashcompletion_DATA = data/bash-completion/nlpipe
else
EXTRA_DIST += data/bash-completion/nlpipe
endif
