# pipeline/train.mk: train, predict and eval - the commands that run a
# classifier (reading data, the worker pool, batches, checkpoints).
nlpipe_SOURCES += \
	pipeline/run.h pipeline/run.c \
	pipeline/data.h pipeline/data.c \
	pipeline/progress.h pipeline/progress.c \
	pipeline/outfile.h pipeline/outfile.c \
	pipeline/classify.h pipeline/classify.c \
	pipeline/cmd_train.c pipeline/cmd_predict.c pipeline/cmd_eval.c
nlpipe_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
nlpipe_LDADD += $(OPENBLAS_LIBS) $(PTHREAD_LIBS) -lm
