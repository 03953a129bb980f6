/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tokenizer.c - the `tokenizer` stage: text -> tokens with utf8proc.
 *
 * Three passes over a document, each into a workspace the instance reuses
 * (nothing is allocated per token):
 *   1. decode UTF-8 into code points (invalid bytes -> U+FFFD), dropping
 *      HTML/XML tags and decoding entities when strip_markup is on;
 *   2. normalize (NFC or NFKC); ASCII runs are copied as they are, only the
 *      stretches around non-ASCII characters go through utf8proc;
 *   3. segment into tokens by character class (see docs/text-stages.md for
 *      the rules), case-folding each word on its way out.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text.h"

enum cls {
	C_SPACE,  /* white space, controls, U+200B, U+2581: break tokens */
	C_WORD,   /* letters, other numbers, U+FFFD, unassigned */
	C_DIGIT,  /* decimal digits */
	C_MARK,   /* combining marks (part of words, attach to ideographs and emoji) */
	C_IDEO,   /* Han ideographs, kana: one token each */
	C_EMOJI,  /* pictographs */
	C_EMOD,   /* emoji modifiers (skin tones, tag characters) */
	C_RI,     /* regional indicators (flags come in pairs) */
	C_PUNCT,  /* punctuation and symbols */
	C_IGNORE, /* soft hyphen, bidi controls, variation selectors, BOM */
	C_JOIN,   /* ZWJ, ZWNJ */
	C_APOS,   /* ' U+2019 U+02BC U+FF07 */
	C_HYPHEN  /* - U+2010 U+2011 */
};

static const unsigned char ascii_cls[128] = {
#define S C_SPACE
#define W C_WORD
#define D C_DIGIT
#define P C_PUNCT
        S, S, S, S, S, S, S, S,      S, S, S, S, S, S,        S, S, /* 0x00 */
        S, S, S, S, S, S, S, S,      S, S, S, S, S, S,        S, S, /* 0x10 */
        S, P, P, P, P, P, P, C_APOS, P, P, P, P, P, C_HYPHEN, P, P, /* 0x20 */
        D, D, D, D, D, D, D, D,      D, D, P, P, P, P,        P, P, /* 0x30 */
        P, W, W, W, W, W, W, W,      W, W, W, W, W, W,        W, W, /* 0x40 */
        W, W, W, W, W, W, W, W,      W, W, W, P, P, P,        P, P, /* 0x50 */
        P, W, W, W, W, W, W, W,      W, W, W, W, W, W,        W, W, /* 0x60 */
        W, W, W, W, W, W, W, W,      W, W, W, P, P, P,        P, S, /* 0x70 */
#undef S
#undef W
#undef D
#undef P
};

/* ASCII letters and digits: the characters most words are made of. */
static const unsigned char ascii_alnum[128] = {
        ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
        ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
        ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
        ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
        ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
        ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
        ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
        ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static int is_ideo_range(int32_t c)
{
	return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x31f0 && c <= 0x31ff) ||
	       (c >= 0x3005 && c <= 0x3007) || (c >= 0x3400 && c <= 0x4dbf) ||
	       (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xff66 && c <= 0xff9f) || (c >= 0x20000 && c <= 0x3134f);
}

static int cls_slow(int32_t c)
{
	utf8proc_category_t cat;

	switch (c) {
	case 0xfffd:
		return C_WORD;
	case 0x2019:
	case 0x02bc:
	case 0xff07:
		return C_APOS;
	case 0x2010:
	case 0x2011:
		return C_HYPHEN;
	case 0x200c:
	case 0x200d:
		return C_JOIN;
	case 0x200b:
	case 0x2581: /* the ngrams separator: never inside a token */
		return C_SPACE;
	case 0x00ad:
	case 0xfeff:
		return C_IGNORE;
	case 0x3030:
	case 0x303d:
	case 0x3297:
	case 0x3299:
		return C_EMOJI;
	}
	if ((c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef) ||
	    (c >= 0x200e && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x206f))
		return C_IGNORE;
	if ((c >= 0x1f3fb && c <= 0x1f3ff) || (c >= 0xe0020 && c <= 0xe007f))
		return C_EMOD;
	if (c >= 0x1f1e6 && c <= 0x1f1ff)
		return C_RI;
	cat = utf8proc_category(c);
	if (c >= 0x1f000 && c <= 0x1faff && cat != UTF8PROC_CATEGORY_CN)
		return C_EMOJI;
	if (cat == UTF8PROC_CATEGORY_SO &&
	    ((c >= 0x2300 && c <= 0x23ff) || (c >= 0x2600 && c <= 0x27bf) ||
	     (c >= 0x2b00 && c <= 0x2bff)))
		return C_EMOJI;
	switch (cat) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_NL:
		return is_ideo_range(c) ? C_IDEO : C_WORD;
	case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_CN:
		return C_WORD;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return C_MARK;
	case UTF8PROC_CATEGORY_ND:
		return C_DIGIT;
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
	case UTF8PROC_CATEGORY_CC:
		return C_SPACE;
	case UTF8PROC_CATEGORY_CF:
		return C_IGNORE;
	default:
		return C_PUNCT;
	}
}

static inline int cls_of(int32_t c)
{
	return c < 0x80 ? ascii_cls[c] : cls_slow(c);
}

static inline int is_wordc(int k)
{
	return k == C_WORD || k == C_DIGIT || k == C_MARK;
}

struct cpbuf {
	int32_t *v;
	size_t n, cap;
};

static int cp_reserve(struct cpbuf *b, size_t extra)
{
	size_t need = b->n + extra, nc;
	int32_t *p;

	if (need <= b->cap)
		return NLP_OK;
	nc = b->cap ? b->cap : 256;
	while (nc < need)
		nc *= 2;
	p = realloc(b->v, nc * sizeof *p);
	if (!p)
		return NLP_ENOMEM;
	b->v = p;
	b->cap = nc;
	return NLP_OK;
}

struct text_tokenizer {
	struct text_tok_opts o;
	int32_t keep_punct[32];
	size_t n_keep_punct;
	size_t piece;     /* code points a piece (o.piece or TOK_PIECE) */
	struct cpbuf cp;  /* pass 1 output */
	struct cpbuf nm;  /* pass 2 output */
	struct cpbuf seg; /* a segment or token being (de)composed */
	struct cpbuf tok; /* one token's code points */
	char *ub;         /* one token's UTF-8 */
	size_t ub_cap;
	/* memo for <!-- ... --> search: from `cc_from`, the next "-->" is at cc_pos */
	size_t cc_from, cc_pos;
	nlp_tokens chars; /* characters = true: the words before their split */
};

void text_tok_defaults(struct text_tok_opts *o)
{
	memset(o, 0, sizeof *o);
	o->normalization = TOK_NORM_NFKC;
	o->casefold = 1;
	o->strip_markup = 0;
	o->split_clitics = 0;
	o->urls = TOK_KEEP;
	o->emails = TOK_KEEP;
	o->emoticons = 1;
	o->emoji = 1;
	o->punctuation = TOK_PUNCT_SOME;
	o->keep_punct = "!?";
	o->numbers = TOK_NUM_KEEP;
	o->split_cjk = 1;
	o->min_length = 1;
	o->max_length = 100;
}

int text_tokenizer_new(struct text_tokenizer **out, const struct text_tok_opts *o, nlp_err *err)
{
	struct text_tokenizer *t = calloc(1, sizeof *t);
	const unsigned char *kp;
	size_t kl, i = 0;

	if (!t)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	t->o = *o;
	t->piece = o->piece ? o->piece : TOK_PIECE;
	kp = (const unsigned char *)(o->keep_punct ? o->keep_punct : "");
	kl = strlen((const char *)kp);
	while (i < kl) {
		int32_t c;
		i += text_utf8_next(kp + i, kl - i, &c);
		if (c == ' ' || c == '\t')
			continue; /* "! ?" means "!?" */
		if (t->n_keep_punct == sizeof t->keep_punct / sizeof t->keep_punct[0]) {
			free(t);
			return nlp_err_set(err, NLP_ECONFIG,
			                   "keep_punct lists more than 32 characters; "
			                   "use punctuation = all instead");
		}
		t->keep_punct[t->n_keep_punct++] = c;
	}
	*out = t;
	return NLP_OK;
}

void text_tokenizer_free(struct text_tokenizer *t)
{
	if (!t)
		return;
	free(t->cp.v);
	free(t->nm.v);
	free(t->seg.v);
	free(t->tok.v);
	free(t->ub);
	nlp_tokens_free(&t->chars);
	free(t);
}

/* ---- pass 1: decoding, markup ---- */

static int is_alpha(unsigned c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* The first "-->" in s[0..n), or NULL. */
static const unsigned char *find_close(const unsigned char *s, size_t n)
{
	const unsigned char *p = s, *end = s + n;

	while (end - p >= 3 && (p = memchr(p, '-', (size_t)(end - p - 2))) != NULL) {
		if (p[1] == '-' && p[2] == '>')
			return p;
		p++;
	}
	return NULL;
}

/* s[i] == '<'.  End of the tag (one past '>'), or 0 when it is not a tag.
 * A tag must start like one (<a, </a, <!, <?) and close within 4 KiB
 * without another '<' (so the scan is linear overall); a comment
 * <!-- ... --> may hold anything and be up to 64 KiB long. */
static size_t tag_end(struct text_tokenizer *t, const unsigned char *s, size_t len, size_t i)
{
	size_t lim, j;
	unsigned n1 = i + 1 < len ? s[i + 1] : 0, n2 = i + 2 < len ? s[i + 2] : 0;

	if (n1 == '!' && n2 == '-' && i + 3 < len && s[i + 3] == '-') {
		size_t from = i + 4;
		if (!(t->cc_from <= from && from <= t->cc_pos)) {
			const unsigned char *q = find_close(s + from, len - from);
			t->cc_from = from;
			t->cc_pos = q ? (size_t)(q - s) : SIZE_MAX;
		}
		if (t->cc_pos == SIZE_MAX || t->cc_pos - i > 65536)
			return 0;
		return t->cc_pos + 3;
	}
	if (!(is_alpha(n1) || ((n1 == '/' || n1 == '!' || n1 == '?') && is_alpha(n2))))
		return 0;
	lim = len - i > 4096 ? i + 4096 : len;
	for (j = i + 1; j < lim; j++) {
		if (s[j] == '>')
			return j + 1;
		if (s[j] == '<')
			return 0;
	}
	return 0;
}

struct entity {
	const char *name;
	int32_t cp;
};

static const struct entity entities[] = {
        {"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
        {"apos", '\''},     {"nbsp", 0xa0},    {"ndash", 0x2013}, {"mdash", 0x2014},
        {"hellip", 0x2026}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201c},
        {"rdquo", 0x201d},  {"laquo", 0xab},   {"raquo", 0xbb},   {"copy", 0xa9},
        {"reg", 0xae},      {"trade", 0x2122}, {"bull", 0x2022},  {"middot", 0xb7},
        {"deg", 0xb0},      {"euro", 0x20ac},  {"pound", 0xa3},   {"yen", 0xa5},
        {"cent", 0xa2},     {"sect", 0xa7},    {"para", 0xb6},    {"times", 0xd7},
        {"divide", 0xf7},   {"frac12", 0xbd},  {"frac14", 0xbc},  {"frac34", 0xbe},
        {"hearts", 0x2665}, {"iexcl", 0xa1},   {"iquest", 0xbf},  {"aacute", 0xe1},
        {"agrave", 0xe0},   {"acirc", 0xe2},   {"auml", 0xe4},    {"atilde", 0xe3},
        {"aring", 0xe5},    {"aelig", 0xe6},   {"ccedil", 0xe7},  {"eacute", 0xe9},
        {"egrave", 0xe8},   {"ecirc", 0xea},   {"euml", 0xeb},    {"iacute", 0xed},
        {"igrave", 0xec},   {"icirc", 0xee},   {"iuml", 0xef},    {"ntilde", 0xf1},
        {"oacute", 0xf3},   {"ograve", 0xf2},  {"ocirc", 0xf4},   {"ouml", 0xf6},
        {"otilde", 0xf5},   {"oslash", 0xf8},  {"uacute", 0xfa},  {"ugrave", 0xf9},
        {"ucirc", 0xfb},    {"uuml", 0xfc},    {"yacute", 0xfd},  {"szlig", 0xdf},
        {"Aacute", 0xc1},   {"Agrave", 0xc0},  {"Auml", 0xc4},    {"Ccedil", 0xc7},
        {"Eacute", 0xc9},   {"Egrave", 0xc8},  {"Ntilde", 0xd1},  {"Ouml", 0xd6},
        {"Uuml", 0xdc},     {"Oslash", 0xd8},  {"Aring", 0xc5},   {"AElig", 0xc6},
};

static int hexval(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

/* s[i] == '&'.  End of the entity (one past ';') and its code point in *v,
 * or 0 when it is not a known entity (then '&' stays as it is). */
static size_t entity_end(const unsigned char *s, size_t len, size_t i, int32_t *v)
{
	size_t j = i + 1;

	if (j < len && s[j] == '#') {
		long x = 0;
		int hex = 0, nd = 0;
		j++;
		if (j < len && (s[j] | 0x20) == 'x') {
			hex = 1;
			j++;
		}
		for (; j < len && nd < 8; j++, nd++) {
			int d = hex ? hexval(s[j]) : (s[j] >= '0' && s[j] <= '9' ? s[j] - '0' : -1);
			if (d < 0)
				break;
			x = x * (hex ? 16 : 10) + d;
		}
		if (!nd || nd == 8 || j >= len || s[j] != ';')
			return 0;
		if (x <= 0 || x > 0x10ffff || (x >= 0xd800 && x <= 0xdfff))
			x = 0xfffd;
		*v = (int32_t)x;
		return j + 1;
	}
	for (; j < len && j - i <= 8 && (is_alpha(s[j]) || (s[j] >= '0' && s[j] <= '9')); j++)
		;
	if (j >= len || s[j] != ';' || j == i + 1)
		return 0;
	for (size_t k = 0; k < sizeof entities / sizeof entities[0]; k++) {
		size_t nl = strlen(entities[k].name);
		if (nl == j - i - 1 && memcmp(entities[k].name, s + i + 1, nl) == 0) {
			*v = entities[k].cp;
			return j + 1;
		}
	}
	return 0;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Does one of the eight bytes of x equal b? */
static inline int has_byte(uint64_t x, unsigned b)
{
	uint64_t y = x ^ (ONES * b);
	return ((y - ONES) & ~y & HIGHS) != 0;
}

/* Is one of the eight bytes of x an ASCII control or space (< 0x21)?  x has
 * no byte over 0x7f. */
static inline int has_space(uint64_t x)
{
	return ((x - ONES * 0x21) & ~x & HIGHS) != 0;
}

/* Decode s[*pos..len) into t->cp, a piece at a time: stop after the first
 * ASCII white space once the piece holds t->piece code points, so that no
 * token, tag or normalization stretch is cut (see text_tokenize). */
static int decode(struct text_tokenizer *t, const unsigned char *s, size_t len, size_t *pos,
                  int *nonascii)
{
	int32_t *out;
	size_t i = *pos, n = 0, lim = t->piece;
	int strip = t->o.strip_markup, na = 0;

	t->cp.n = 0;
	if (cp_reserve(&t->cp, (len - i < lim ? len - i : lim) + 8))
		return NLP_ENOMEM;
	while (i < len) {
		unsigned c;
		if (n + 8 > t->cp.cap) {
			t->cp.n = n;
			if (cp_reserve(&t->cp, 8))
				return NLP_ENOMEM;
		}
		out = t->cp.v;
		/* plain ASCII (and no markup to look at) goes eight bytes at a time */
		while (i + 8 <= len) {
			uint64_t x;
			memcpy(&x, s + i, 8);
			if ((x & HIGHS) || (strip && (has_byte(x, '<') || has_byte(x, '&'))) ||
			    (n >= lim && has_space(x)))
				break;
			for (int k = 0; k < 8; k++)
				out[n + (size_t)k] = (int32_t)s[i + (size_t)k];
			n += 8;
			i += 8;
			if (n + 8 > t->cp.cap)
				break;
		}
		if (i >= len || n + 8 > t->cp.cap)
			continue;
		c = s[i];
		if (c < 0x80) {
			if (strip && (c == '<' || c == '&')) {
				int32_t v;
				size_t e = c == '<' ? tag_end(t, s, len, i)
				                    : entity_end(s, len, i, &v);
				if (e) {
					out[n++] = c == '<' ? ' ' : v;
					if (c == '&' && v >= 0x80)
						na = 1;
					i = e;
					continue;
				}
			}
			out[n++] = (int32_t)c;
			i++;
			if (n >= lim && c <= ' ')
				break;
			continue;
		}
		i += text_utf8_next(s + i, len - i, &out[n++]);
		na = 1;
	}
	t->cp.n = n;
	*pos = i;
	*nonascii = na;
	return NLP_OK;
}

/* ---- pass 2: normalization ---- */

static int ccc(int32_t c)
{
	return c < 0x300 ? 0 : utf8proc_get_property(c)->combining_class;
}

/* Decompose b->v[from..b->n) in place into t->seg (with opts), put marks in
 * canonical order, compose when asked, and write the result back over
 * b->v[from..]. */
static int renormalize(struct text_tokenizer *t, struct cpbuf *b, size_t from,
                       utf8proc_option_t dopts, int compose)
{
	struct cpbuf *g = &t->seg;
	utf8proc_ssize_t r;

	g->n = 0;
	for (size_t i = from; i < b->n; i++) {
		int bc = 0;
		if (cp_reserve(g, 32))
			return NLP_ENOMEM;
		r = utf8proc_decompose_char(b->v[i], g->v + g->n, 32, dopts, &bc);
		if (r < 0 || r > 32) {
			g->v[g->n] = 0xfffd; /* cannot happen for valid code points */
			r = 1;
		}
		g->n += (size_t)r;
	}
	/* canonical ordering: stable sort of each run of non-starters by class */
	for (size_t i = 1; i < g->n; i++) {
		int ci = ccc(g->v[i]);
		size_t j = i;
		if (!ci)
			continue;
		while (j > 0) {
			int cj = ccc(g->v[j - 1]);
			if (cj <= ci)
				break;
			int32_t x = g->v[j - 1];
			g->v[j - 1] = g->v[j];
			g->v[j] = x;
			j--;
		}
	}
	if (compose && g->n) {
		r = utf8proc_normalize_utf32(g->v, (utf8proc_ssize_t)g->n, UTF8PROC_COMPOSE);
		if (r >= 0)
			g->n = (size_t)r;
	}
	b->n = from;
	if (cp_reserve(b, g->n))
		return NLP_ENOMEM;
	memcpy(b->v + b->n, g->v, g->n * sizeof *g->v);
	b->n += g->n;
	return NLP_OK;
}

static int normalize(struct text_tokenizer *t)
{
	const int32_t *in = t->cp.v;
	size_t n = t->cp.n;
	struct cpbuf *b = &t->nm;
	utf8proc_option_t dopts =
	        UTF8PROC_DECOMPOSE | (t->o.normalization == TOK_NORM_NFKC ? UTF8PROC_COMPAT : 0);

	b->n = 0;
	if (cp_reserve(b, n + 1))
		return NLP_ENOMEM;
	for (size_t i = 0; i < n;) {
		size_t from, j;
		if (in[i] < 0x80) {
			if (cp_reserve(b, 1))
				return NLP_ENOMEM;
			b->v[b->n++] = in[i++];
			continue;
		}
		/* a stretch of non-ASCII, with the ASCII character before it
		 * (a base that a combining mark may compose with) */
		from = b->n;
		if (i > 0 && in[i - 1] < 0x80 && b->n > 0)
			from = b->n - 1;
		for (j = i; j < n && in[j] >= 0x80; j++)
			;
		if (cp_reserve(b, j - i))
			return NLP_ENOMEM;
		memcpy(b->v + b->n, in + i, (j - i) * sizeof *in);
		b->n += j - i;
		if (renormalize(t, b, from, dopts, 1))
			return NLP_ENOMEM;
		i = j;
	}
	return NLP_OK;
}

/* ---- pass 3: tokens ---- */

static int ub_reserve(struct text_tokenizer *t, size_t need)
{
	size_t nc;
	char *p;

	if (need <= t->ub_cap)
		return NLP_OK;
	nc = t->ub_cap ? t->ub_cap : 256;
	while (nc < need)
		nc *= 2;
	p = realloc(t->ub, nc);
	if (!p)
		return NLP_ENOMEM;
	t->ub = p;
	t->ub_cap = nc;
	return NLP_OK;
}

/* UTF-8 of t->tok into t->ub; returns the byte length or -1. */
static long encode_tok(struct text_tokenizer *t)
{
	size_t n = 0;

	if (ub_reserve(t, t->tok.n * 4 + 1))
		return -1;
	for (size_t i = 0; i < t->tok.n; i++) {
		int32_t c = t->tok.v[i];
		if (c < 0x80)
			t->ub[n++] = (char)c;
		else
			n += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)t->ub + n);
	}
	t->ub[n] = '\0';
	return (long)n;
}

static int push_str(nlp_tokens *out, const char *s)
{
	return text_push(out, s, strlen(s));
}

static int is_number(const struct cpbuf *b)
{
	int digits = 0;

	for (size_t i = 0; i < b->n; i++) {
		int32_t c = b->v[i];
		if (c == '.' || c == ',')
			continue;
		if (cls_of(c) != C_DIGIT)
			return 0;
		digits = 1;
	}
	return digits;
}

/* Is the ASCII word v[0..n) a number (digits with . or , inside)? */
static int ascii_number(const int32_t *v, size_t n)
{
	int digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			digits = 1;
		else if (v[i] != '.' && v[i] != ',')
			return 0;
	}
	return digits;
}

/* Push a word, splitting an English clitic off when asked. */
static int push_word(struct text_tokenizer *t, const char *w, size_t n, nlp_tokens *out)
{
	const char *ap;
	size_t cut;
	int rc;

	if (!t->o.split_clitics || !(ap = memchr(w, '\'', n)))
		return text_push(out, w, n);
	/* n't: do|n't, is|n't; can't, won't, shan't keep their verb */
	if (n > 3 && memcmp(w + n - 3, "n't", 3) == 0) {
		static const struct {
			const char *w, *verb;
		} irr[] = {{"can't", "can"}, {"won't", "will"}, {"shan't", "shall"}};
		for (size_t i = 0; i < sizeof irr / sizeof irr[0]; i++) {
			if (strlen(irr[i].w) == n && memcmp(irr[i].w, w, n) == 0) {
				rc = push_str(out, irr[i].verb);
				return rc ? rc : text_push(out, "n't", 3);
			}
		}
		cut = n - 3;
		goto split;
	}
	ap = w + n;
	while (ap > w && ap[-1] != '\'')
		ap--;
	ap--; /* the last apostrophe */
	cut = (size_t)(ap - w);
	if (cut > 0) {
		size_t sl = n - cut - 1;
		const char *sfx = ap + 1;
		if ((sl == 1 && (*sfx == 's' || *sfx == 'm' || *sfx == 'd')) ||
		    (sl == 2 && (memcmp(sfx, "re", 2) == 0 || memcmp(sfx, "ve", 2) == 0 ||
		                 memcmp(sfx, "ll", 2) == 0)))
			goto split;
	}
	return text_push(out, w, n);
split:
	rc = text_push(out, w, cut);
	return rc ? rc : text_push(out, w + cut, n - cut);
}

/* Emit the word nm[i..j): map apostrophes and hyphens, drop ignorables,
 * case-fold, apply the number and length rules. */
static int emit_word(struct text_tokenizer *t, size_t i, size_t j, int ascii, nlp_tokens *out)
{
	const int32_t *v = t->nm.v;
	struct cpbuf *b = &t->tok;
	int fold = t->o.casefold, need_fold = 0;
	long n;

	/* the common case, an ASCII word: straight to bytes */
	if (ascii && (t->o.numbers == TOK_NUM_KEEP || !ascii_number(v + i, j - i))) {
		size_t len = j - i, end = out->len + len + 1;
		char *d;
		if ((long)len < t->o.min_length ||
		    (t->o.max_length > 0 && (long)len > t->o.max_length))
			return NLP_OK;
		if (!t->o.split_clitics && out->n < out->ncap && end <= out->cap &&
		    end <= UINT32_MAX) {
			/* room in the token list: write the token there */
			d = out->buf + out->len;
			out->off[out->n] = (uint32_t)out->len;
			out->tlen[out->n] = (uint32_t)len;
			out->len = end;
			out->n++;
		} else {
			if (ub_reserve(t, len + 1))
				return NLP_ENOMEM;
			d = t->ub;
		}
		if (fold) {
			for (size_t k = 0; k < len; k++) {
				int32_t c = v[i + k];
				d[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			}
		} else {
			for (size_t k = 0; k < len; k++)
				d[k] = (char)v[i + k];
		}
		d[len] = '\0';
		return d == t->ub ? push_word(t, t->ub, len, out) : NLP_OK;
	}
	b->n = 0;
	if (cp_reserve(b, j - i + 1))
		return NLP_ENOMEM;
	for (size_t k = i; k < j; k++) {
		int32_t c = v[k];
		if (c < 0x80) {
			if (fold && c >= 'A' && c <= 'Z')
				c += 32;
		} else {
			int k2 = cls_of(c);
			if (k2 == C_IGNORE)
				continue;
			if (k2 == C_APOS)
				c = '\'';
			else if (k2 == C_HYPHEN)
				c = '-';
			else if (fold)
				need_fold = 1;
		}
		b->v[b->n++] = c;
	}
	if (need_fold) {
		utf8proc_option_t o = UTF8PROC_CASEFOLD;
		if (t->o.normalization != TOK_NORM_NONE)
			o |= UTF8PROC_DECOMPOSE |
			     (t->o.normalization == TOK_NORM_NFKC ? UTF8PROC_COMPAT : 0);
		if (renormalize(t, b, 0, o, t->o.normalization != TOK_NORM_NONE))
			return NLP_ENOMEM;
	}
	if (!b->n)
		return NLP_OK;
	if (t->o.numbers != TOK_NUM_KEEP && is_number(b)) {
		if (t->o.numbers == TOK_NUM_DROP)
			return NLP_OK;
		if (t->o.numbers == TOK_NUM_REPLACE)
			return push_str(out, "<num>");
		for (size_t k = 0; k < b->n; k++)
			if (b->v[k] != '.' && b->v[k] != ',')
				b->v[k] = '0';
	}
	if ((long)b->n < t->o.min_length || (t->o.max_length > 0 && (long)b->n > t->o.max_length))
		return NLP_OK;
	n = encode_tok(t);
	if (n < 0)
		return NLP_ENOMEM;
	return push_word(t, t->ub, (size_t)n, out);
}

/* Emit nm[i..j) as it is, without ignorables (emoji, emoticons); fold
 * ASCII when fold is set (URLs, e-mail addresses). */
static int emit_raw(struct text_tokenizer *t, size_t i, size_t j, int fold, nlp_tokens *out)
{
	struct cpbuf *b = &t->tok;
	long n;

	b->n = 0;
	if (cp_reserve(b, j - i + 1))
		return NLP_ENOMEM;
	for (size_t k = i; k < j; k++) {
		int32_t c = t->nm.v[k];
		if (c >= 0x80 && cls_of(c) == C_IGNORE)
			continue;
		if (fold && c >= 'A' && c <= 'Z')
			c += 32;
		b->v[b->n++] = c;
	}
	n = encode_tok(t);
	if (n < 0)
		return NLP_ENOMEM;
	return text_push(out, t->ub, (size_t)n);
}

static int32_t lower(int32_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Does nm[i..) start with the ASCII string p (case-insensitive)? */
static int starts_with(const int32_t *v, size_t n, size_t i, const char *p)
{
	for (; *p; p++, i++)
		if (i >= n || lower(v[i]) != *p)
			return 0;
	return 1;
}

/* A URL at i: its end, else 0. */
static size_t url_end(const int32_t *v, size_t n, size_t i)
{
	size_t j, open = 0, close = 0;

	if (starts_with(v, n, i, "http://"))
		j = i + 7;
	else if (starts_with(v, n, i, "https://"))
		j = i + 8;
	else if (starts_with(v, n, i, "ftp://"))
		j = i + 6;
	else if (starts_with(v, n, i, "www."))
		j = i + 4;
	else
		return 0;
	for (; j < n; j++) {
		int32_t c = v[j];
		if (c == '<' || c == '>' || c == '"' || cls_of(c) == C_SPACE)
			break;
		if (c == '(')
			open++;
		if (c == ')')
			close++;
	}
	/* trailing punctuation belongs to the sentence, not the URL */
	while (j > i) {
		int32_t c = v[j - 1];
		if (c == ')' && close > open) {
			close--;
			j--;
			continue;
		}
		if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' ||
		    c == '\'' || c == ']' || c == '}' || c == '*') {
			j--;
			continue;
		}
		break;
	}
	/* something must follow the scheme or www. */
	if (j <= i + 4 || (v[j - 1] == '/' && j - i <= 8 && !starts_with(v, n, i, "www.")))
		return 0;
	return j;
}

static int is_email_local(int32_t c)
{
	return c < 0x80 && (ascii_cls[c] == C_WORD || ascii_cls[c] == C_DIGIT || c == '.' ||
	                    c == '_' || c == '%' || c == '+' || c == '-');
}

/* An e-mail address at i: its end, else 0. */
static size_t email_end(const int32_t *v, size_t n, size_t i)
{
	size_t j = i, dots = 0, last_dot = 0, k;

	while (j < n && j - i < 64 && is_email_local(v[j]))
		j++;
	if (j == i || j >= n || v[j] != '@')
		return 0;
	k = ++j;
	while (j < n && j - k < 255) {
		int32_t c = v[j];
		if (c < 0x80 && (ascii_cls[c] == C_WORD || ascii_cls[c] == C_DIGIT || c == '-')) {
			j++;
			continue;
		}
		if (c == '.' && j > k && v[j - 1] != '.' && j + 1 < n && v[j + 1] < 0x80 &&
		    (ascii_cls[v[j + 1]] == C_WORD || ascii_cls[v[j + 1]] == C_DIGIT)) {
			dots++;
			last_dot = j;
			j++;
			continue;
		}
		break;
	}
	if (!dots || j - last_dot < 3)
		return 0;
	for (size_t m = last_dot + 1; m < j; m++) /* top-level domain: letters */
		if (v[m] >= 0x80 || ascii_cls[v[m]] != C_WORD)
			return 0;
	return j;
}

static const char *const emoticons[] = {
        ">:-(", ">:(", ">:-)", ">:)", ":'-(", ":'(", ":')", "</3", ":-)", ":-(", ":-D", ":-P",
        ":-p",  ":-/", ":-\\", ":-|", ":-O",  ":-o", ":-*", ":-]", ":-[", ":-S", ";-)", ";-D",
        ";-P",  "^_^", "^.^",  "-_-", ":)",   ":(",  ":D",  ":P",  ":p",  ":/",  ":\\", ":|",
        ":O",   ":o",  ":*",   ":]",  ":[",   ":>",  ":<",  ":@",  ":$",  ":S",  ":s",  ":3",
        ";)",   ";D",  ";P",   ";p",  "=)",   "=(",  "=D",  "=]",  "=[",  "<3",  "^^",
};

/* An emoticon at i: its end, else 0. */
static size_t emoticon_end(const int32_t *v, size_t n, size_t i)
{
	int32_t c = v[i];

	if (c != ':' && c != ';' && c != '=' && c != '<' && c != '>' && c != '^' && c != '-')
		return 0;
	/* the second character of some emoticon? (most punctuation is not one) */
	if (i + 1 >= n || v[i + 1] >= 0x80 ||
	    !strchr("-:')(DPp/\\|Oo*][><@$Ss3_.^", (int)v[i + 1]) || v[i + 1] == 0)
		return 0;
	for (size_t e = 0; e < sizeof emoticons / sizeof emoticons[0]; e++) {
		const char *p = emoticons[e];
		size_t j = i;
		for (; *p && j < n && v[j] == (unsigned char)*p; p++, j++)
			;
		if (*p)
			continue;
		/* ":D" must not run into a word (":Dave"); ":/" not into "://" */
		unsigned char last = (unsigned char)p[-1];
		if (j < n) {
			int k = cls_of(v[j]);
			if (last < 0x80 &&
			    (ascii_cls[last] == C_WORD || ascii_cls[last] == C_DIGIT) &&
			    is_wordc(k))
				continue;
			if ((last == '/' || last == '\\') && k != C_SPACE)
				continue;
		}
		return j;
	}
	return 0;
}

/* An emoji sequence at i (v[i] is C_EMOJI, C_EMOD or C_RI): its end. */
static size_t emoji_end(const int32_t *v, size_t n, size_t i)
{
	size_t j = i + 1;

	if (cls_of(v[i]) == C_RI) {
		if (j < n && cls_of(v[j]) == C_RI)
			j++;
		return j;
	}
	for (;;) {
		while (j < n) {
			int k = cls_of(v[j]);
			if (k != C_EMOD && k != C_IGNORE && k != C_MARK)
				break;
			j++;
		}
		if (j + 1 < n && v[j] == 0x200d && cls_of(v[j + 1]) == C_EMOJI) {
			j += 2;
			continue;
		}
		return j;
	}
}

static int emit_email(struct text_tokenizer *t, size_t i, size_t e, nlp_tokens *out)
{
	if (t->o.emails == TOK_KEEP)
		return emit_raw(t, i, e, t->o.casefold, out);
	if (t->o.emails == TOK_REPLACE)
		return push_str(out, "<email>");
	return NLP_OK;
}

static int keep_punct(const struct text_tokenizer *t, int32_t c)
{
	if (t->o.punctuation == TOK_PUNCT_ALL)
		return 1;
	if (t->o.punctuation == TOK_PUNCT_NONE)
		return 0;
	for (size_t i = 0; i < t->n_keep_punct; i++)
		if (t->keep_punct[i] == c)
			return 1;
	return 0;
}

static int segment(struct text_tokenizer *t, nlp_tokens *out)
{
	const int32_t *v = t->nm.v;
	size_t n = t->nm.n, i = 0, e, e2;
	int rc = NLP_OK;

	while (i < n && !rc) {
		int32_t c = v[i];
		int k = cls_of(c);

		switch (k) {
		case C_SPACE:
		case C_IGNORE:
		case C_JOIN:
			i++;
			continue;
		case C_IDEO:
			if (t->o.split_cjk) {
				for (e = i + 1;
				     e < n && (cls_of(v[e]) == C_MARK || cls_of(v[e]) == C_IGNORE);
				     e++)
					;
				rc = emit_word(t, i, e, 0, out);
				i = e;
				continue;
			}
			for (e = i + 1; e < n && (cls_of(v[e]) == C_IDEO || cls_of(v[e]) == C_MARK);
			     e++)
				;
			rc = emit_word(t, i, e, 0, out);
			i = e;
			continue;
		case C_EMOJI:
		case C_EMOD:
		case C_RI:
			e = emoji_end(v, n, i);
			if (t->o.emoji)
				rc = emit_raw(t, i, e, 0, out);
			i = e;
			continue;
		default:
			break;
		}
		if ((c == 'h' || c == 'H' || c == 'f' || c == 'F' || c == 'w' || c == 'W') &&
		    (e = url_end(v, n, i)) != 0) {
			if (t->o.urls == TOK_KEEP)
				rc = emit_raw(t, i, e, t->o.casefold, out);
			else if (t->o.urls == TOK_REPLACE)
				rc = push_str(out, "<url>");
			i = e;
			continue;
		}
		if (c < 0x80 && (c == '.' || c == '_' || c == '%' || c == '+' || c == '-') &&
		    (e = email_end(v, n, i)) != 0) {
			rc = emit_email(t, i, e, out);
			i = e;
			continue;
		}
		if (is_wordc(k)) {
			int prev = k, ascii = c < 0x80;
			e = i + 1;
			for (;;) {
				int ke;
				size_t e0 = e;
				/* the bulk of a word: ASCII letters and digits */
				while (e < n && v[e] < 0x80 && ascii_alnum[v[e]])
					e++;
				if (e > e0)
					prev = ascii_cls[v[e - 1]];
				if (e >= n)
					break;
				if (v[e] < 0x80) {
					ke = ascii_cls[v[e]];
				} else {
					ke = cls_slow(v[e]);
					ascii = 0;
				}
				if (is_wordc(ke)) {
					prev = ke;
					e++;
					continue;
				}
				if (ke == C_IGNORE) {
					e++;
					continue;
				}
				if (e + 1 < n && is_wordc(prev)) {
					int kn = cls_of(v[e + 1]);
					if ((ke == C_APOS || ke == C_HYPHEN || ke == C_JOIN) &&
					    is_wordc(kn)) {
						prev = ke;
						e++;
						continue;
					}
					if ((v[e] == '.' || v[e] == ',') && prev == C_DIGIT &&
					    kn == C_DIGIT) {
						prev = C_PUNCT;
						e++;
						continue;
					}
				}
				break;
			}
			/* an e-mail address starts like a word and goes on with one of
			 * @._%+- (checking only then keeps the scan linear and cheap) */
			if (e < n && c < 0x80 &&
			    (v[e] == '@' || v[e] == '.' || v[e] == '_' || v[e] == '%' ||
			     v[e] == '+' || v[e] == '-') &&
			    (e2 = email_end(v, n, i)) != 0) {
				rc = emit_email(t, i, e2, out);
				i = e2;
				continue;
			}
			rc = emit_word(t, i, e, ascii, out);
			i = e;
			continue;
		}
		/* punctuation, symbols, stray apostrophes and hyphens */
		if (t->o.emoticons && (e = emoticon_end(v, n, i)) != 0) {
			rc = emit_raw(t, i, e, 0, out);
			i = e;
			continue;
		}
		for (e = i + 1; e < n && v[e] == c; e++)
			;
		if (keep_punct(t, c)) {
			size_t run = e - i > 3 ? 3 : e - i;
			t->tok.n = 0;
			if (cp_reserve(&t->tok, 3))
				return NLP_ENOMEM;
			for (size_t r = 0; r < run; r++)
				t->tok.v[t->tok.n++] =
				        k == C_APOS ? '\'' : (k == C_HYPHEN ? '-' : c);
			long bn = encode_tok(t);
			rc = bn < 0 ? NLP_ENOMEM : text_push(out, t->ub, (size_t)bn);
		}
		i = e;
	}
	return rc;
}

/* A long document goes through the three passes a piece at a time, each
 * piece ending just after an ASCII white space (a break between tokens that
 * neither markup, normalization nor any token rule looks across), so the
 * workspaces stay at about t->piece code points whatever the document's
 * size; the tokens are those of the whole document in one piece. */
int text_tokenize(struct text_tokenizer *t, const char *s, size_t len, nlp_tokens *out,
                  nlp_err *err)
{
	size_t pos = 0;
	int nonascii = 0, rc = NLP_OK;

	t->cc_from = 1;
	t->cc_pos = 0; /* empty memo */
	while (pos < len && !rc) {
		rc = decode(t, (const unsigned char *)s, len, &pos, &nonascii);
		if (rc)
			break;
		if (nonascii && t->o.normalization != TOK_NORM_NONE) {
			rc = normalize(t);
			if (rc)
				break;
		} else {
			/* use the decoded text as it is: swap the buffers */
			struct cpbuf x = t->nm;
			t->nm = t->cp;
			t->cp = x;
		}
		rc = segment(t, out);
	}
	if (rc == NLP_ENOMEM)
		return nlp_err_set(err, rc, "out of memory");
	if (rc)
		return nlp_err_set(err, rc, "a token is too long for the token list");
	return NLP_OK;
}

size_t text_tokenizer_workspace(const struct text_tokenizer *t)
{
	return (t->cp.cap + t->nm.cap + t->seg.cap + t->tok.cap) * sizeof(int32_t) + t->ub_cap;
}

/* ---- the stage class ---- */

static const nlp_option tokenizer_options[] = {
        {"normalization", NLP_OPT_ENUM, "nfkc", 0, 0, "none|nfc|nfkc",
         "Unicode normalization applied before segmentation"},
        {"casefold", NLP_OPT_BOOL, "true", 0, 0, NULL, "full Unicode case folding of words"},
        {"strip_markup", NLP_OPT_BOOL, "false", 0, 0, NULL,
         "drop HTML/XML tags (<br />) and decode entities (&amp;)"},
        {"split_clitics", NLP_OPT_BOOL, "false", 0, 0, NULL,
         "split English clitics: don't -> do n't, john's -> john 's"},
        {"urls", NLP_OPT_ENUM, "keep", 0, 0, "keep|replace|drop",
         "URLs: one token each, the token <url>, or nothing"},
        {"emails", NLP_OPT_ENUM, "keep", 0, 0, "keep|replace|drop",
         "e-mail addresses: one token each, the token <email>, or nothing"},
        {"emoticons", NLP_OPT_BOOL, "true", 0, 0, NULL, "keep emoticons such as :) :-( ;D <3"},
        {"emoji", NLP_OPT_BOOL, "true", 0, 0, NULL, "keep emoji (with ZWJ sequences, flags)"},
        {"punctuation", NLP_OPT_ENUM, "some", 0, 0, "none|some|all",
         "punctuation tokens: none, those in keep_punct, or all"},
        {"keep_punct", NLP_OPT_STRING, "!?", 0, 0, NULL,
         "characters kept as tokens when punctuation = some"},
        {"numbers", NLP_OPT_ENUM, "keep", 0, 0, "keep|zero|replace|drop",
         "numbers: as written, digits as 0, the token <num>, or nothing"},
        {"split_cjk", NLP_OPT_BOOL, "true", 0, 0, NULL,
         "one token per Han ideograph or kana (scripts written without spaces)"},
        {"min_length", NLP_OPT_INT, "1", 1, 1000000, NULL, "shortest word kept, in characters"},
        {"max_length", NLP_OPT_INT, "100", 0, 1000000000, NULL,
         "longest word kept, in characters (0: no limit)"},
        {"characters", NLP_OPT_BOOL, "false", 0, 0, NULL,
         "then split the words into characters, with the token \u2581 between words "
         "(character-level models: sequence to sequence)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static int pick(const char *v, const char *const *names, int dflt)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return dflt;
}

static int tokenizer_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	static const char *const norms[] = {"none", "nfc", "nfkc", NULL};
	static const char *const kinds[] = {"keep", "replace", "drop", NULL};
	static const char *const nums[] = {"keep", "zero", "replace", "drop", NULL};
	static const char *const puncts[] = {"none", "some", "all", NULL};
	struct text_tok_opts o;
	struct text_tokenizer *t;
	int rc;

	text_tok_defaults(&o);
	o.normalization = pick(nlp_config_str(cfg, "normalization"), norms, TOK_NORM_NFKC);
	o.casefold = nlp_config_bool(cfg, "casefold");
	o.strip_markup = nlp_config_bool(cfg, "strip_markup");
	o.split_clitics = nlp_config_bool(cfg, "split_clitics");
	o.urls = pick(nlp_config_str(cfg, "urls"), kinds, TOK_KEEP);
	o.emails = pick(nlp_config_str(cfg, "emails"), kinds, TOK_KEEP);
	o.emoticons = nlp_config_bool(cfg, "emoticons");
	o.emoji = nlp_config_bool(cfg, "emoji");
	o.punctuation = pick(nlp_config_str(cfg, "punctuation"), puncts, TOK_PUNCT_SOME);
	o.keep_punct = nlp_config_str(cfg, "keep_punct");
	o.numbers = pick(nlp_config_str(cfg, "numbers"), nums, TOK_NUM_KEEP);
	o.split_cjk = nlp_config_bool(cfg, "split_cjk");
	o.min_length = nlp_config_int(cfg, "min_length");
	o.max_length = nlp_config_int(cfg, "max_length");
	o.characters = nlp_config_bool(cfg, "characters");
	if (o.max_length > 0 && o.max_length < o.min_length)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "max_length (%ld) is smaller than min_length (%ld): raise "
		                   "max_length or set it to 0 for no limit",
		                   o.max_length, o.min_length);
	rc = text_tokenizer_new(&t, &o, err);
	if (rc)
		return rc;
	*self = t;
	return NLP_OK;
}

static void tokenizer_destroy(void *self)
{
	text_tokenizer_free(self);
}

/* The words of w as characters into out, TEXT_WORD_BOUNDARY between
 * words. */
static int split_characters(const nlp_tokens *w, nlp_tokens *out)
{
	int rc = 0;
	for (size_t i = 0; i < w->n && !rc; i++) {
		const unsigned char *s = (const unsigned char *)nlp_token(w, i);
		size_t n = w->tlen[i];
		if (i)
			rc = nlp_tokens_push(out, TEXT_WORD_BOUNDARY, strlen(TEXT_WORD_BOUNDARY));
		for (size_t k = 0; k < n && !rc;) {
			size_t l = 1;
			while (k + l < n && (s[k + l] & 0xc0) == 0x80)
				l++;
			rc = nlp_tokens_push(out, (const char *)s + k, l);
			k += l;
		}
	}
	return rc ? NLP_ENOMEM : NLP_OK;
}

static int tokenizer_process(void *self, nlp_doc *doc, nlp_err *err)
{
	struct text_tokenizer *t = self;
	int rc;

	if (t->o.characters) {
		nlp_tokens_clear(&t->chars);
		rc = text_tokenize(self, doc->text, doc->text_len, &t->chars, err);
		if (!rc)
			rc = split_characters(&t->chars, doc->out);
	} else {
		rc = text_tokenize(self, doc->text, doc->text_len, doc->out, err);
	}
	if (rc && err)
		nlp_err_set(err, rc, "%s: %s", doc->name ? doc->name : "(document)",
		            rc == NLP_ENOMEM ? "out of memory"
		                             : "the document has too many tokens");
	return rc;
}

const nlp_stage_class text_tokenizer_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "tokenizer",
        .summary = "Unicode words: normalization, case folding, URLs, emoticons, emoji",
        .options = tokenizer_options,
        .consumes = NLP_KIND_TEXT,
        .produces = NLP_KIND_TOKENS,
        .create = tokenizer_create,
        .destroy = tokenizer_destroy,
        .process = tokenizer_process,
        .train = NULL,
};
