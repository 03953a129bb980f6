/* textutil.c - helpers shared by the text stages: UTF-8 decoding and the
 * data folder. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

const char *text_data_dir(void)
{
	const char *d = getenv("NLPIPE_DATA_DIR");
	return d && *d ? d : NLP_DATA_DIR;
}

size_t text_utf8_next(const unsigned char *s, size_t len, int32_t *cp)
{
	unsigned c = s[0];
	size_t n;
	int32_t v, min;

	if (c < 0x80) {
		*cp = (int32_t)c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		goto bad;
	}
	if (len < n)
		goto bad;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*cp = v;
	return n;
bad:
	*cp = 0xfffd;
	return 1;
}
