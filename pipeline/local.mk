# pipeline/: the host.  libnlpipe (registry, loader, INI, runner) and the
# nlpipe command.
lib_LTLIBRARIES += libnlpipe.la
libnlpipe_la_SOURCES = \
	pipeline/util.c
# -fno-math-errno lets sqrtf vectorize (the optimizer's loops); nothing here
# reads errno after a math function.
libnlpipe_la_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS) $(UTF8PROC_CFLAGS) $(ZLIB_CFLAGS) \
	-fno-math-errno -fvect-cost-model=dynamic
libnlpipe_la_LIBADD = $(LTDL_LIBS) $(INIH_LIBS) $(UTF8PROC_LIBS) $(ZLIB_LIBS) $(PTHREAD_LIBS) -lm
libnlpipe_la_LDFLAGS = -version-info $(NLP_LT_VERSION) -no-undefined \
	-export-symbols-regex '^nlp_'

nlpipeincdir = $(includedir)/nlpipe
nlpipeinc_HEADERS = pipeline/nlpipe/nlpipe.h plugins/nlpipe/plugin.h plugins/nlpipe/train.h

libnlpipe_la_SOURCES += \
	pipeline/internal.h \
	pipeline/msgs.c \
	pipeline/ini.c \
	pipeline/config.c \
	pipeline/host.c \
	pipeline/pipeline.c

bin_PROGRAMS += nlpipe
nlpipe_SOURCES = \
	pipeline/cli.h \
	pipeline/cli.c \
	pipeline/main.c \
	pipeline/cmd_plugins.c \
	pipeline/cmd_check.c
nlpipe_LDADD = libnlpipe.la
