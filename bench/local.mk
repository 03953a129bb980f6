# bench: see Makefile.am

# Accuracy against fastText on ../shared/data (IMDB split, polarity-v2 CV):
# a script, not a test.  Run it from a build folder: bench/accuracy --help.
EXTRA_DIST += bench/accuracy
