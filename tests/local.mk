# tests/: TAP tests (tests/tap.h); each area registers its own tests too.
noinst_HEADERS += tests/tap.h
