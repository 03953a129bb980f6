/* models/numerics.c - process-wide floating-point setup for the neural stages.
 *
 * Denormal numbers appear in backpropagation through time (gradients that
 * shrink step after step); on x86 every operation on one takes a slow
 * microcode path, and sgemm slows down about 100x.  nlp_numerics_init() sets
 * flush-to-zero (results that would be denormal become 0) and
 * denormals-are-zero (denormal inputs read as 0) in the MXCSR of the calling
 * thread.  Call it before the first BLAS call of the process: OpenBLAS's worker
 * threads copy the MXCSR of the thread that starts them.
 */
#include "config.h"

#include "nlpipe/nlpipe.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define NLP_HAVE_MXCSR 1
#endif

void nlp_numerics_init(void)
{
#ifdef NLP_HAVE_MXCSR
	/* FTZ is bit 15, DAZ bit 6. */
	_mm_setcsr(_mm_getcsr() | 0x8040u);
#endif
}
