/*
 * replay.c: make check's run of one fuzz target without libFuzzer (built
 * by gcc): every file of tests/fuzz/corpus/NAME/ and tests/fuzz/regress/NAME/
 * is fed to the target's LLVMFuzzerTestOneInput, each in a child process
 * so that a crash or a failed check is one "not ok" and the rest still
 * run. TAP output, one case per file. With arguments, replays those
 * files instead (to reproduce a finding: replay_NAME crash-...).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "../unit/tap.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME must name the target (corpus/NAME, regress/NAME)"
#endif
#ifndef FUZZ_DIR
#error "FUZZ_DIR must name the tests/fuzz folder"
#endif

/* Read path whole; a NUL-padded copy so that even 0 bytes has an address. */
static uint8_t *
slurp(const char *path, size_t *lenp)
{
	FILE	*fp;
	uint8_t	*p = NULL, *q;
	size_t	 len = 0, cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap * 2 + 8192;
			if ((q = realloc(p, cap)) == NULL) {
				free(p);
				fclose(fp);
				return NULL;
			}
			p = q;
		}
		n = fread(p + len, 1, cap - len - 1, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		free(p);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	*lenp = len;
	return p;
}

static void
replay(const char *path, const char *label)
{
	uint8_t	*data;
	size_t	 len;
	pid_t	 pid;
	int	 status = -1;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		ok(0, "%s: fork: %s", label, strerror(errno));
		return;
	}
	if (pid == 0) {
		if ((data = slurp(path, &len)) == NULL) {
			fprintf(stderr, "%s: cannot read\n", path);
			_exit(2);
		}
		/* The input alone, at the start of its own allocation, as libFuzzer gives it. */
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s", label);
	if (status != -1 && WIFSIGNALED(status))
		printf("#   killed by signal %d (a crash or a failed check: see"
		    " its stderr)\n", WTERMSIG(status));
}

static int
is_file(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Every file of FUZZ_DIR/sub/FUZZ_NAME, sorted; the number replayed. */
static int
replay_dir(const char *sub)
{
	struct dirent	**names;
	char		  dir[2048], path[4096], label[4096];
	int		  i, n;

	snprintf(dir, sizeof(dir), "%s/%s/%s", FUZZ_DIR, sub, FUZZ_NAME);
	if ((n = scandir(dir, &names, is_file, alphasort)) == -1)
		return 0;	/* regress/NAME exists only once something was found */
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		snprintf(label, sizeof(label), "%s %s/%s", FUZZ_NAME, sub,
		    names[i]->d_name);
		replay(path, label);
		free(names[i]);
	}
	free(names);
	return n;
}

int
main(int argc, char **argv)
{
	int	 i, corpus;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			replay(argv[i], argv[i]);
		return done_testing();
	}
	corpus = replay_dir("corpus");
	replay_dir("regress");
	/* An empty corpus would make this test pass on nothing. */
	ok(corpus > 0, "%s: %d corpus inputs in %s/corpus/%s", FUZZ_NAME, corpus,
	    FUZZ_DIR, FUZZ_NAME);
	return done_testing();
}
