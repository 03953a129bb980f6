/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* placeholders.c - an out-of-tree nlpipe plugin: replace URLs, e-mail
 * addresses and numbers with placeholder tokens.
 *
 * Stage class `placeholders` (tokens -> tokens).  Put it after a tokenizer
 * that keeps URLs and e-mail addresses whole:
 *
 *     [pipeline]
 *     stages = tok, ph
 *
 *     [tok]
 *     type = tokenizer
 *
 *     [ph]
 *     type = placeholders
 *     replace = url, email, number   ; which kinds (the default: all three)
 *     number_token = <num>           ; the placeholder text of each kind
 *     collapse = yes                 ; "1 2 3" -> one <num>, not three
 *
 * A token is looked at as a whole (the rules are below, at the classifiers),
 * so "see:http://x.org" is not a URL; the tokenizer decides what one token
 * is.  An empty placeholder (`number_token =`) removes tokens of that kind.
 *
 * Build: make (needs only `pkg-config --cflags --libs nlpipe`); load it with
 * NLPIPE_PLUGIN_PATH=/folder/holding/placeholders.so.  This file is also the
 * worked example of docs/writing-a-plugin.md.
 */
#include <stdlib.h>
#include <string.h>

#include <nlpipe/plugin.h>

/* The kinds of token this stage replaces; also the index of their options. */
enum ph_kind { PH_NONE = -1, PH_URL, PH_EMAIL, PH_NUMBER, PH_NKINDS };

static const char *const kind_names[PH_NKINDS] = {"url", "email", "number"};

/* One instance.  The placeholder strings point into the instance's config,
 * which the host keeps alive as long as the instance (see plugin.h), so
 * they are borrowed, not copied. */
struct ph {
	int enabled[PH_NKINDS];       /* 1: replace tokens of this kind */
	const char *token[PH_NKINDS]; /* placeholder text (borrowed); "" drops */
	size_t token_len[PH_NKINDS];
	int collapse; /* 1: a run of one kind becomes one token */
};

/* ---- Classifiers: each looks at one whole token (s, n bytes) ---- */

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

/* Case-insensitive: does s (n bytes) start with the lowercase ASCII prefix? */
static int has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= n)
			return 0;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)prefix[i])
			return 0;
	}
	return 1;
}

/* A URL: http://, https://, ftp:// or www. followed by at least one more
 * byte that is not a dot (so "www." alone is not one). */
static int is_url(const char *s, size_t n)
{
	static const char *const starts[] = {"http://", "https://", "ftp://", "www."};
	size_t i;

	for (i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		size_t k = strlen(starts[i]);

		if (has_prefix(s, n, starts[i]) && n > k && s[k] != '.' && s[k] != '/')
			return 1;
	}
	return 0;
}

/* An e-mail address, optionally after "mailto:": LOCAL@DOMAIN where LOCAL
 * is one or more of [A-Za-z0-9._%+-] and DOMAIN is two or more dot-separated
 * non-empty labels of [A-Za-z0-9-], the last of them two or more letters.
 * Bytes >= 0x80 count as letters, so internationalized addresses pass. */
static int is_email(const char *s, size_t n)
{
	size_t i = 0, at, label_len = 0, labels = 0;
	int label_letters = 1; /* the current label has letters only */

	if (has_prefix(s, n, "mailto:"))
		i = 7;
	for (at = i; at < n && s[at] != '@'; at++) {
		unsigned char c = (unsigned char)s[at];

		if (!(is_alnum(c) || c >= 0x80 || (c && strchr("._%+-", c))))
			return 0;
	}
	if (at == i || at >= n)
		return 0; /* empty local part, or no '@' */
	for (i = at + 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label_len == 0)
				return 0; /* "a@.b", "a@b..c" */
			labels++;
			label_len = 0;
			label_letters = 1;
		} else if (is_alnum(c) || c >= 0x80 || c == '-') {
			label_len++;
			label_letters = label_letters && (is_alpha(c) || c >= 0x80);
		} else {
			return 0;
		}
	}
	/* The last label (the top-level domain) is the one still open. */
	return labels >= 1 && label_len >= 2 && label_letters;
}

/* A number: an optional sign, digits, then any groups of one separator
 * among . , : / - followed by digits (3.14, 1,000, 10:30, 24/7, 555-1234,
 * 2024-05-01), then an optional suffix: "%", "s" (1990s) or an English
 * ordinal st|nd|rd|th (2nd).  A leading separator counts too when digits
 * follow (.5). */
static int is_number(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < n) {
		if (is_digit((unsigned char)s[i])) {
			digits++;
			i++;
		} else if (s[i] != '\0' && strchr(".,:/-", s[i]) && i + 1 < n &&
		           is_digit((unsigned char)s[i + 1])) {
			i++;
		} else {
			break;
		}
	}
	if (digits == 0)
		return 0;
	if (i == n)
		return 1;
	if (n - i == 1 && (s[i] == '%' || s[i] == 's' || s[i] == 'S'))
		return 1;
	return n - i == 2 && (has_prefix(s + i, 2, "st") || has_prefix(s + i, 2, "nd") ||
	                      has_prefix(s + i, 2, "rd") || has_prefix(s + i, 2, "th"));
}

static enum ph_kind classify(const struct ph *ph, const char *s, size_t n)
{
	/* URLs first: a URL may hold an '@' or look numeric after its scheme. */
	if (ph->enabled[PH_URL] && is_url(s, n))
		return PH_URL;
	if (ph->enabled[PH_EMAIL] && is_email(s, n))
		return PH_EMAIL;
	if (ph->enabled[PH_NUMBER] && is_number(s, n))
		return PH_NUMBER;
	return PH_NONE;
}

/* ---- The stage class ---- */

static const nlp_option ph_options[] = {
        {"replace", NLP_OPT_LIST, "url, email, number", 0, 0, NULL,
         "kinds of token to replace: any of url, email, number"},
        {"url_token", NLP_OPT_STRING, "<url>", 0, 0, NULL,
         "placeholder for URLs (http://, https://, ftp://, www.); empty: drop them"},
        {"email_token", NLP_OPT_STRING, "<email>", 0, 0, NULL,
         "placeholder for e-mail addresses; empty: drop them"},
        {"number_token", NLP_OPT_STRING, "<num>", 0, 0, NULL,
         "placeholder for numbers (42, -3.5, 1,000, 10:30, 50%, 2nd, 1990s); empty: drop them"},
        {"collapse", NLP_OPT_BOOL, "no", 0, 0, NULL,
         "replace a run of tokens of one kind with a single placeholder"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static void ph_destroy(void *self)
{
	free(self);
}

/* Errors from create are printed by the host after "FILE:LINE: [instance]
 * (placeholders): ", so the message starts at the option at fault. */
static int ph_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	static const char *const token_opts[PH_NKINDS] = {"url_token", "email_token",
	                                                  "number_token"};
	struct ph *ph = calloc(1, sizeof *ph); /* ours until handed over in *self */
	const char *const *words;
	size_t n, i;
	int k, rc = NLP_OK;

	if (!ph) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	ph->collapse = nlp_config_bool(cfg, "collapse");
	for (k = 0; k < PH_NKINDS; k++) {
		ph->token[k] = nlp_config_str(cfg, token_opts[k]);
		ph->token_len[k] = strlen(ph->token[k]);
	}

	/* The host checked that replace is a list; which words it may hold is
	 * this class's business. */
	words = nlp_config_list(cfg, "replace", &n);
	for (i = 0; i < n; i++) {
		for (k = 0; k < PH_NKINDS; k++)
			if (strcmp(words[i], kind_names[k]) == 0)
				break;
		if (k == PH_NKINDS) {
			rc = nlp_err_set(
			        err, NLP_ECONFIG,
			        "replace: unknown kind '%s': use any of url, email, number",
			        words[i]);
			goto out;
		}
		ph->enabled[k] = 1;
	}
	*self = ph;
	ph = NULL; /* the host's now */
out:
	ph_destroy(ph);
	return rc;
}

static int ph_process(void *self, nlp_doc *doc, nlp_err *err)
{
	const struct ph *ph = self;
	const nlp_tokens *in = doc->in;
	enum ph_kind prev = PH_NONE;
	size_t i;
	int rc = NLP_OK;

	for (i = 0; i < in->n; i++) {
		const char *s = nlp_token(in, i);
		size_t len = in->tlen[i];
		enum ph_kind kind = classify(ph, s, len);

		if (kind == PH_NONE)
			rc = nlp_tokens_push(doc->out, s, len);
		else if (ph->token_len[kind] > 0 && !(ph->collapse && kind == prev))
			rc = nlp_tokens_push(doc->out, ph->token[kind], ph->token_len[kind]);
		if (rc != NLP_OK) {
			nlp_err_set(err, rc, "%s: cannot add token %zu: %s",
			            doc->name ? doc->name : "(document)", i,
			            rc == NLP_ENOMEM ? "out of memory" : "document too large");
			goto out;
		}
		prev = kind;
	}
out:
	return rc;
}

static const nlp_stage_class ph_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "placeholders",
        .summary = "replace URLs, e-mail addresses and numbers with placeholder tokens",
        .options = ph_options,
        .consumes = NLP_KIND_TOKENS,
        .produces = NLP_KIND_TOKENS,
        .create = ph_create,
        .destroy = ph_destroy,
        .process = ph_process,
        .train = NULL,
};

static int ph_init(nlp_registrar *reg, nlp_err *err)
{
	return nlp_register_stage(reg, &ph_class, err);
}

/* The one exported symbol: placeholders_LTX_nlp_module.  The file must be
 * called placeholders.so (or .la) for the host to find it under that name. */
NLP_MODULE(placeholders) = {
        NLP_MODULE_HEADER,
        .name = "placeholders",
        .version = "1.0.0",
        .description = "placeholder tokens for URLs, e-mail addresses and numbers (example plugin)",
        .init = ph_init,
};
