/* fuzz.h: what every fuzz target shares: the entry point's prototype and a check that stops the run with a message. */
#ifndef MODELREG_FUZZ_H
#define MODELREG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * libFuzzer calls this for each input; tests/fuzz/replay.c calls it for
 * each file of the corpus and of regress/ (make check, built by gcc).
 */
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * A broken property is a finding like a crash: abort(), so libFuzzer
 * keeps the input as a crash artifact and the replay test fails.
 */
#define FUZZ_CHECK(cond, what) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz check failed: %s (%s:%d: %s)\n",	\
		    (what), __FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

#endif
