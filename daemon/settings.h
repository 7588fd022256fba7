/* settings.h: the per-model settings' pure checks (settings.c): parameter names and ranges, labels, organisation aliases, lists. */
#ifndef MODELREG_SETTINGS_H
#define MODELREG_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The default parameters a model may carry (issue 9), in the order the
 * protocol lists them (param.NAME= keys, enforced=). Bit i of an
 * enforced set is parameter i.
 */
enum settings_param {
	SP_TEMPERATURE,
	SP_TOP_P,
	SP_MAX_TOKENS,
	SP_FREQUENCY_PENALTY,
	SP_PRESENCE_PENALTY,
	SP_COUNT
};
#define SETTINGS_ALL_PARAMS	((1u << SP_COUNT) - 1)
#define SETTINGS_PARAM_NAMES	"temperature, top_p, max_tokens, " \
	"frequency_penalty or presence_penalty"

#define SETTINGS_LABEL_CHARS	64	/* characters of a label */
#define SETTINGS_LABEL_MAX	256	/* its bytes (64 four-byte characters) */
#define SETTINGS_ALIAS_MAX	200	/* bytes of an alias, as catalog ids */
#define SETTINGS_MAX_ALIASES	16	/* organisation aliases of one model */
#define SETTINGS_TOKENS_MAX	2147483647	/* max_tokens when the context is unknown */

/* The parameter called name (wire spelling), or -1. */
int	 settings_param_find(const char *name);
const char *settings_param_name(int param);

/*
 * Read text as a value of param: a plain decimal (digits, an optional
 * sign and fraction: "0.3", "-1.5"), for max_tokens digits only. Its
 * range is not checked here. 0, or -1 with a message in err.
 */
int	 settings_parse_value(int param, const char *text, double *v,
	    char *err, size_t len);
/*
 * Whether v is in param's range: temperature 0-2, top_p 0-1, the
 * penalties -2 to 2, max_tokens 1 to context (when context > 0, else
 * SETTINGS_TOKENS_MAX). 0, or -1 with a message in err.
 */
int	 settings_check_range(int param, double v, int64_t context,
	    char *err, size_t len);

/* A label: 1..64 characters of UTF-8, no control character, no blank at either end. 0 or -1 (err). */
int	 settings_check_label(const char *s, char *err, size_t len);
/* An alias: 1..200 bytes of 0x21..0x7e but '"', ',', '=' and '\\', as catalog ids. 0 or -1 (err). */
int	 settings_check_alias(const char *s, char *err, size_t len);
/* A comma list of parameter names into a bit set. 0 or -1 (err). */
int	 settings_parse_params(const char *list, unsigned *bits, char *err,
	    size_t len);
/*
 * Split the comma list s (modified in place) into at most max items;
 * the count, or -1 for an empty item or more than max.
 */
int	 settings_split(char *s, const char **items, int max);
/* The names of a bit set as a comma list, in parameter order ("" when none). */
void	 settings_params_list(unsigned bits, char *out, size_t len);
/* A parameter's value as the protocol and the audit log write it (%.10g). */
void	 settings_value_text(double v, char *out, size_t len);

#endif
