/* tap.h: a few macros that make a C unit test speak TAP (one "ok N - name" per check). */
#ifndef MODELREG_TAP_H
#define MODELREG_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A test that stops early fails. The plan ("1..N") is printed only by
 * done_testing() at the end of main(), so a program that crashes prints
 * none and the TAP driver fails it; one that exits (exit(), a return from
 * main) before done_testing() gets a failing check from the atexit hook
 * armed by its first check; one that made no check at all fails in
 * done_testing() (TAP reads "1..0" as a skip). Run each test function with
 * tap_run(test_x(args)): a function that returns having made no check fails, so a
 * silent early `return` at its top is caught; return early only after a
 * failing check or a skip().
 */
static int tap_n, tap_failed, tap_ended;

static void __attribute__((unused))
tap_atexit(void)
{
	if (tap_ended)
		return;
	printf("not ok %d - the program ran to done_testing()\n", ++tap_n);
	printf("1..%d\n", tap_n);
	fflush(stdout);
	_exit(1);
}

#define ok(cond, ...) do {						\
	int tap_c_ = (cond) ? 1 : 0;					\
	if (tap_n++ == 0)						\
		atexit(tap_atexit);					\
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

/* A check that cannot run here, and why: "ok N # SKIP why". */
#define skip(...) do {							\
	if (tap_n++ == 0)						\
		atexit(tap_atexit);					\
	printf("ok %d # SKIP ", tap_n);					\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	fflush(stdout);							\
} while (0)

/* Run one test function; it fails when it returns having made no check. */
#define tap_run(call) do {					\
	int tap_before_ = tap_n;					\
	call;								\
	if (tap_n == tap_before_)					\
		ok(0, "%s made at least one check", #call);		\
} while (0)

/* End of the test program: the plan, and the exit status. */
static int __attribute__((unused))
tap_done(void)
{
	if (tap_n == 0)
		ok(0, "the program made at least one check");
	tap_ended = 1;
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}
#define done_testing()	tap_done()

#endif
