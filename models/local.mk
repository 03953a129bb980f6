# models: see Makefile.am
