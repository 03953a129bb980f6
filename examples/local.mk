# examples: see Makefile.am

# The example corpus: written by examples/make-reviews (fixed seed) and
# committed; folders in EXTRA_DIST are copied whole.
EXTRA_DIST += examples/make-reviews examples/reviews examples/unlabelled
