# preprocess: see Makefile.am
