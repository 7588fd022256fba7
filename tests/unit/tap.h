/* tap.h: a few macros that make a C unit test speak TAP (one "ok N - name" per check). */
#ifndef MODELREG_TAP_H
#define MODELREG_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {						\
	int tap_c_ = (cond) ? 1 : 0;					\
	tap_n++;							\
	if (!tap_c_)							\
		tap_failed++;						\
	printf("%sok %d - ", tap_c_ ? "" : "not ", tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!tap_c_)							\
		printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	fflush(stdout);							\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *tap_g_ = (got), *tap_w_ = (want);			\
	int tap_e_ = (tap_g_ == NULL && tap_w_ == NULL) ||		\
	    (tap_g_ != NULL && tap_w_ != NULL && strcmp(tap_g_, tap_w_) == 0); \
	ok(tap_e_, __VA_ARGS__);					\
	if (!tap_e_)							\
		printf("#   got: \"%s\"\n#   want: \"%s\"\n",		\
		    tap_g_ ? tap_g_ : "(null)", tap_w_ ? tap_w_ : "(null)"); \
} while (0)

#define is_int(got, want, ...) do {					\
	long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
	ok(tap_g_ == tap_w_, __VA_ARGS__);				\
	if (tap_g_ != tap_w_)						\
		printf("#   got: %lld\n#   want: %lld\n", tap_g_, tap_w_); \
} while (0)

/* End of the test program: the plan, and the exit status. */
#define done_testing() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)

#endif
