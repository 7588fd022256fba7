/* test_config_keys.c: the config key table is whole (every key named, typed, bounded, placed) and drives cfg_parse: each key lands where the table says. */
#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"
#include "tap.h"

/*
 * A value of the key's type that differs from its default and breaks no
 * rule between keys: durations and numbers at their maximum (retry_min
 * just above its minimum, below every retry_max), percentages at 90
 * (yellow 90 <= green 95, green 90 >= yellow 80).
 */
static const char *
sample(const struct cfg_key *k, char *buf, size_t len)
{
	switch (k->type) {
	case T_DURATION:
	case T_INT:
		snprintf(buf, len, "%ld", strcmp(k->name, "retry_min") == 0 ?
		    k->min + 1 : k->max);
		return buf;
	case T_PERCENT:
		return "90";
	case T_SIZE:
		return "2K";
	case T_BOOL:
		return k->yes;
	case T_FORMAT:
		return "openai";
	case T_PATH:
		return "/tmp/x";
	case T_URL:
		return (k->flags & URL_TEMPLATE) ? "http://h/x/{id}" :
		    "http://h/x";
	case T_MODE:
		return "0600";
	case T_LOG_LEVEL:
		return "error";
	case T_MODEL:
	case T_LIST:
		if (k->flags & F_MAIL)
			return "b@example.org";
		if (k->flags & F_KIND)
			return "model.up";
		return "some-model";
	case T_ARGV:
		return "/bin/true";
	case T_LISTEN:
		return "127.0.0.1:9464";
	case T_SMTP_URL:
		return "smtps://mail.example.org";
	case T_MAIL_ADDR:
		return "a@example.org";
	case T_TEXT:
		return "someone";
	}
	return "?";
}

int
main(void)
{
	struct config	*def, *cfg;
	struct cfg_errors errs = { NULL, 0 };
	char		 text[256], val[64], what[128];
	size_t		 i, j, width;
	int		 bad_named = 0, bad_place = 0, bad_bounds = 0, bad_words = 0;
	int		 dups = 0, untouched = 0, refused = 0;

	for (i = 0; i < K_COUNT; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->name == NULL || k->sec <= SEC_UNKNOWN || k->sec >= SEC_COUNT)
			bad_named++;
		if (k->off == 0)
			bad_place++;	/* offset 0 is cfg->path, no key's */
		if (k->off + sizeof(int) > sizeof(struct config))
			bad_place++;
		if ((k->type == T_DURATION || k->type == T_INT) &&
		    (k->min > k->max || k->max == 0))
			bad_bounds++;
		if (k->type == T_PATH && k->max <= 0)
			bad_bounds++;
		if (k->type == T_BOOL && (k->yes == NULL || k->no == NULL))
			bad_words++;
		if (k->type == T_URL && k->off_text == NULL)
			bad_words++;
		for (j = 0; j < i; j++)
			if (cfg_keys[j].sec == k->sec &&
			    strcmp(cfg_keys[j].name, k->name) == 0)
				dups++;
	}
	is_int(bad_named, 0, "every key has a name and a known section");
	is_int(bad_place, 0, "every key's value lies inside struct config");
	is_int(bad_bounds, 0, "every bounded key has min <= max");
	is_int(bad_words, 0, "every bool has its two words, every url its off text");
	is_int(dups, 0, "no (section, name) is in the table twice");

	/*
	 * Each key set alone through cfg_parse changes the bytes at its own
	 * offset and is accepted. (test_config.c checks each field by name.)
	 */
	if ((def = cfg_parse("", 0, "t.conf", &errs)) == NULL) {
		printf("Bail out! the empty file is refused\n");
		return 1;
	}
	for (i = 0; i < K_COUNT; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		snprintf(text, sizeof(text), "[%s]\n%s = %s\n",
		    cfg_section_names[k->sec], k->name, sample(k, val, sizeof(val)));
		/* Issue 10 item 3: a mail key needs the server, sender and recipients (their defaults are none). */
		if (i >= K_AL_SMTP_URL && i <= K_AL_FLAP_WINDOW)
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
			    "%s%s%s%s",
			    i != K_AL_SMTP_URL ? "smtp_url = smtp://h\n" : "",
			    i != K_AL_MAIL_FROM ? "mail_from = a@h.example\n" : "",
			    i != K_AL_MAIL_TO ? "mail_to = c@h.example\n" : "",
			    i == K_AL_SMTP_USER ? "smtp_password_file = /tmp/x\n" :
			    i == K_AL_SMTP_PASSWORD_FILE ? "smtp_user = u\n" : "");
		cfg_errors_free(&errs);
		if ((cfg = cfg_parse(text, strlen(text), "t.conf", &errs)) == NULL) {
			refused++;
			printf("# refused: %s%s\n", text, errs.n ? errs.msg[0] : "");
			continue;
		}
		switch (k->type) {
		case T_SIZE:
			width = sizeof(size_t);
			break;
		case T_MODE:
			width = sizeof(mode_t);
			break;
		case T_LIST:
		case T_ARGV:
			width = sizeof(struct cfg_list);
			break;
		case T_PATH:
		case T_URL:
		case T_MODEL:
		case T_LISTEN:
		case T_SMTP_URL:
		case T_MAIL_ADDR:
		case T_TEXT:
			width = sizeof(char *);
			break;
		default:
			width = sizeof(int);
		}
		if (memcmp((char *)cfg + k->off, (char *)def + k->off, width) == 0) {
			untouched++;
			printf("# %s %s left its value unchanged\n",
			    cfg_section_names[k->sec], k->name);
		}
		cfg_free(cfg);
	}
	snprintf(what, sizeof(what), "each of the %d keys is accepted alone",
	    (int)K_COUNT);
	is_int(refused, 0, "%s", what);
	is_int(untouched, 0, "each key changes the value at its own offset");
	cfg_errors_free(&errs);
	cfg_free(def);
	return done_testing();
}
