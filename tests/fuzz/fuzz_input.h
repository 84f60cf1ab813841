/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every fuzz target shares: reading numbers off the input, and a check
 * that traps (libFuzzer then saves the input).
 */
#ifndef TCE_FUZZ_INPUT_H
#define TCE_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ENSURE(c)                \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

struct input {
	const uint8_t *p;
	size_t n;
};

/* The next @bytes bytes, big-endian; missing bytes read as nothing. */
static inline uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes-- && in->n) {
		v = v << 8 | *in->p++;
		in->n--;
	}
	return v;
}

#endif /* TCE_FUZZ_INPUT_H */
