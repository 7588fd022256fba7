/* metrics_expo.c: the Prometheus text exposition format 0.0.4, written into a buffer: HELP, TYPE, samples with escaped label values. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

/* HELP text escapes only backslash and line feed (the format's rule). */
static int
metrics_help(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\') {
			if (buf_puts(b, "\\\\") == -1)
				return -1;
		} else if (*s == '\n') {
			if (buf_puts(b, "\\n") == -1)
				return -1;
		} else if (buf_putc(b, *s) == -1)
			return -1;
	}
	return 0;
}

int
metrics_family(struct buf *b, const char *name, const char *type,
    const char *help)
{
	if (buf_printf(b, "# HELP %s ", name) == -1 ||
	    metrics_help(b, help) == -1 ||
	    buf_printf(b, "\n# TYPE %s %s\n", name, type) == -1)
		return -1;
	return 0;
}

int
metrics_escape(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		const char *e = NULL;

		switch (*v) {
		case '\\':
			e = "\\\\";
			break;
		case '"':
			e = "\\\"";
			break;
		case '\n':
			e = "\\n";
			break;
		}
		if (e != NULL ? buf_puts(b, e) : buf_putc(b, *v))
			return -1;
	}
	return 0;
}

int
metrics_sample(struct buf *b, const char *name, double value, int nlabels,
    const char *const *labels)
{
	int	 i;

	if (buf_puts(b, name) == -1)
		return -1;
	for (i = 0; i < nlabels; i++) {
		if (buf_printf(b, "%s%s=\"", i ? "," : "{", labels[2 * i]) == -1 ||
		    metrics_escape(b, labels[2 * i + 1] != NULL ?
		    labels[2 * i + 1] : "") == -1 ||
		    buf_putc(b, '"') == -1)
			return -1;
	}
	if (nlabels > 0 && buf_putc(b, '}') == -1)
		return -1;
	/* Go's ParseFloat spellings, which Prometheus reads. */
	if (isnan(value))
		return buf_puts(b, " NaN\n");
	if (isinf(value))
		return buf_puts(b, value > 0 ? " +Inf\n" : " -Inf\n");
	if (value == floor(value) && fabs(value) < 1e15)
		return buf_printf(b, " %.0f\n", value);
	return buf_printf(b, " %.15g\n", value);
}
