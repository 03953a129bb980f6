# docs/: man pages (installed) and the Markdown documentation (distributed).
dist_man_MANS += docs/nlpipe.1 docs/nlpipe.ini.5 docs/nlpipe_classifier.3
EXTRA_DIST += \
	docs/writing-a-plugin.md \
	docs/api.md \
	docs/coding_style.md \
	docs/models.md
