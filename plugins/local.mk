# plugins/: the plugin contract (plugins/nlpipe/) and the built-in modules.
# A module is a libtool module exporting only its descriptor; its stage
# classes live in preprocess/ (text) and models/ (neural).
