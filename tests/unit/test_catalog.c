/* test_catalog.c: TAP tests for the catalog parsers (Mistral, OpenRouter, OpenAI) over tests/data and the bundled snapshot. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "catalog.h"
#include "catalog_detect.h"
#include "catalog_int.h"
#include "db.h"
#include "tap.h"

#ifndef TEST_DATADIR
#error "TEST_DATADIR must name the tests/data folder"
#endif

#define SNAPSHOT	TEST_DATADIR "/../../etc/seed/mistral-models.json"

static char *
load(const char *path, size_t *lenp)
{
	FILE	*fp;
	char	*p;
	long	 n;

	if ((fp = fopen(path, "rb")) == NULL) {
		printf("# cannot open %s\n", path);
		return NULL;
	}
	if (fseek(fp, 0, SEEK_END) == -1 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1 ||
	    (p = malloc((size_t)n + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	if (fread(p, 1, (size_t)n, fp) != (size_t)n) {
		free(p);
		fclose(fp);
		return NULL;
	}
	p[n] = '\0';
	fclose(fp);
	*lenp = (size_t)n;
	return p;
}

static struct catalog_stats	st;
static char			err[256];

/* Parse a file of tests/data (or an absolute path). */
static int
parse_file(sqlite3 *db, enum cat_format fmt, const char *name)
{
	char	 path[1024];
	char	*body;
	size_t	 len;
	int	 rc;

	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", TEST_DATADIR, name);
	if ((body = load(path, &len)) == NULL)
		return -2;
	rc = catalog_parse(db, fmt, body, len, &st, err, sizeof(err));
	free(body);
	return rc;
}

static int
parse_str(sqlite3 *db, enum cat_format fmt, const char *s)
{
	return catalog_parse(db, fmt, s, strlen(s), &st, err, sizeof(err));
}

/* The first column of the first row of sql (with ?1 bound to arg), or NULL. */
static char *
query(sqlite3 *db, const char *sql, const char *arg)
{
	sqlite3_stmt	*s;
	char		*v = NULL;
	const char	*t;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		printf("# prepare: %s\n", sqlite3_errmsg(db));
		return NULL;
	}
	if (arg != NULL)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (t = (const char *)sqlite3_column_text(s, 0)) != NULL)
		v = strdup(t);
	sqlite3_finalize(s);
	return v;
}

static long long
query_int(sqlite3 *db, const char *sql, const char *arg)
{
	char		*v = query(db, sql, arg);
	long long	 n = v ? strtoll(v, NULL, 10) : -1;

	free(v);
	return n;
}

static double
query_real(sqlite3 *db, const char *sql, const char *arg)
{
	sqlite3_stmt	*s;
	double		 d = -12345;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return d;
	sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		d = sqlite3_column_double(s, 0);
	sqlite3_finalize(s);
	return d;
}

/* A staged row: name|provider|ctx|prompt|completion|features|aliases|slug */
#define ROW_SQL								\
	"SELECT name || '|' || provider || '|' ||"			\
	" coalesce(context_length, 'NULL') || '|' ||"			\
	" coalesce(prompt_price, 'NULL') || '|' ||"			\
	" coalesce(completion_price, 'NULL') || '|' || features || '|' ||" \
	" aliases || '|' || coalesce(canonical_slug, 'NULL')"		\
	" FROM staging WHERE id = ?1"

#define is_row(db, id, want) do {					\
	char *r_ = query((db), ROW_SQL, (id));				\
	is_str(r_, (want), "row %s", (id));				\
	free(r_);							\
} while (0)

#define is_col(db, sql, id, want, ...) do {				\
	char *c_ = query((db), (sql), (id));				\
	is_str(c_, (want), __VA_ARGS__);				\
	free(c_);							\
} while (0)

static char *
staged_ids(sqlite3 *db)
{
	return query(db, "SELECT group_concat(id, ' ') FROM"
	    " (SELECT id FROM staging ORDER BY rowid)", NULL);
}

#define is_ids(db, want, ...) do {					\
	char *i_ = staged_ids(db);					\
	is_str(i_, (want), __VA_ARGS__);				\
	free(i_);							\
} while (0)

#define is_stats(e, s, k, d, what) do {					\
	is_int(st.entries, (e), "%s: entries", (what));			\
	is_int(st.staged, (s), "%s: staged", (what));			\
	is_int(st.skipped, (k), "%s: skipped", (what));			\
	is_int(st.duplicates, (d), "%s: duplicates", (what));		\
} while (0)

static long long
staged_count(sqlite3 *db)
{
	return query_int(db, "SELECT count(*) FROM staging", NULL);
}

/* Does name resolve to a staged model, as an id or an alias? */
static int
resolves(sqlite3 *db, const char *name)
{
	return query_int(db, "SELECT count(*) FROM staging WHERE id = ?1 OR"
	    " EXISTS (SELECT 1 FROM json_each(staging.aliases)"
	    " WHERE value = ?1)", name) == 1;
}

#define KIND_SQL	"SELECT kind FROM staging WHERE id = ?1"
#define PRICES_SQL	"SELECT prices FROM staging WHERE id = ?1"
#define EXPIRES_SQL	"SELECT coalesce(expires_at, 'NULL') FROM staging WHERE id = ?1"

/* Issue 6: kinds, the other prices and expiry dates, in the three formats. */
static void
test_kinds(sqlite3 *db)
{
	int64_t	 t = 0;

	is_int(parse_file(db, FMT_OPENROUTER, "catalog-kinds-openrouter.json"),
	    0, "kinds openrouter: parsed");
	is_col(db, KIND_SQL, "openai/gpt-4o", "chat", "openrouter: text out is chat");
	is_col(db, KIND_SQL, "google/gemini-2.5-flash-image", "chat",
	    "openrouter: text and image out is chat");
	is_col(db, KIND_SQL, "black-forest-labs/flux", "image",
	    "openrouter: image only is image");
	is_col(db, KIND_SQL, "acme/speaker", "audio", "openrouter: audio only");
	is_col(db, KIND_SQL, "acme/embedder", "embedding",
	    "openrouter: embeddings out is embedding");
	is_col(db, KIND_SQL, "acme/odd", "other", "openrouter: video only is other");
	is_col(db, KIND_SQL, "acme/old", "chat",
	    "openrouter: no output_modalities is chat");
	is_col(db, KIND_SQL, "acme/many", "chat",
	    "openrouter: output_modalities not an array is chat");
	is_col(db, PRICES_SQL, "openai/gpt-4o", "{\"image\":0.003613,"
	    "\"input_cache_read\":1.25e-06,\"internal_reasoning\":0.0,"
	    "\"request\":0.0,\"web_search\":0.01}",
	    "openrouter: every other price kept as given, by name");
	is_col(db, PRICES_SQL, "black-forest-labs/flux",
	    "{\"image\":0.04,\"request\":0.005}", "openrouter: per request");
	is_col(db, PRICES_SQL, "acme/speaker", "{}", "openrouter: none is {}");
	is_col(db, PRICES_SQL, "acme/odd", "{\"n\":0.5}",
	    "openrouter: negative, NaN, unparsable, overflowing, object and "
	    "badly named prices are dropped");
	is_col(db, PRICES_SQL, "acme/old", "{}",
	    "openrouter: pricing not an object is {}");
	is_int(query_int(db, "SELECT count(*) FROM staging AS s,"
	    " json_each(s.prices) WHERE s.id = ?1", "acme/many"), 32,
	    "openrouter: at most 32 other prices");
	is_col(db, EXPIRES_SQL, "openai/gpt-4o", "NULL", "openrouter: null expiry");
	is_col(db, EXPIRES_SQL, "black-forest-labs/flux", "1759190400",
	    "openrouter: a plain date is midnight UTC");
	is_col(db, EXPIRES_SQL, "acme/speaker", "1759314600",
	    "openrouter: an RFC 3339 offset is applied");
	is_col(db, EXPIRES_SQL, "acme/odd", "NULL",
	    "openrouter: an impossible date is no date");
	is_col(db, EXPIRES_SQL, "acme/old", "1767225600",
	    "openrouter: unix seconds are taken");

	is_int(parse_file(db, FMT_MISTRAL, "catalog-kinds-mistral.json"), 0,
	    "kinds mistral: parsed");
	is_col(db, KIND_SQL, "mistral-large-2411", "chat", "mistral: completion_chat");
	is_col(db, KIND_SQL, "mistral-embed", "embedding",
	    "mistral: mistral-embed is an embedding model");
	is_col(db, KIND_SQL, "mistral-moderation-2411", "moderation",
	    "mistral: capabilities.moderation");
	is_col(db, KIND_SQL, "mistral-ocr-2505", "ocr", "mistral: capabilities.ocr");
	is_col(db, KIND_SQL, "voxtral-mini-transcribe-2507", "audio",
	    "mistral: capabilities.audio without chat");
	is_col(db, KIND_SQL, "mistral-classifier", "other",
	    "mistral: not chat and nothing else known is other");
	is_col(db, KIND_SQL, "open-mistral-7b", "chat",
	    "mistral: no capabilities is chat, as before");
	is_col(db, EXPIRES_SQL, "mistral-large-2411", "1780228800",
	    "mistral: deprecation becomes expires_at");
	is_col(db, EXPIRES_SQL, "mistral-classifier", "NULL",
	    "mistral: a deprecation that is not a date is none");
	is_col(db, EXPIRES_SQL, "open-mistral-7b", "1743292800",
	    "mistral: a plain date");
	is_col(db, PRICES_SQL, "mistral-embed", "{}", "mistral: no prices");

	is_int(parse_file(db, FMT_MISTRAL, "../../etc/seed/mistral-models.json"),
	    0, "snapshot: parsed");
	is_col(db, KIND_SQL, "mistral-embed", "embedding", "snapshot: mistral-embed");
	is_col(db, KIND_SQL, "mistral-moderation-2411", "moderation",
	    "snapshot: mistral-moderation-2411");
	is_int(query_int(db, "SELECT count(*) FROM staging WHERE kind = 'chat'",
	    NULL), 13, "snapshot: the 13 others are chat models");

	is_int(parse_str(db, FMT_OPENAI, "{\"data\": ["
	    "{\"id\": \"gpt-4o\"}, {\"id\": \"text-embedding-3-small\"},"
	    "{\"id\": \"omni-moderation-latest\"}, {\"id\": \"whisper-1\"},"
	    "{\"id\": \"tts-1-hd\"}, {\"id\": \"gpt-4o-mini-tts\"},"
	    "{\"id\": \"gpt-4o-transcribe\"}, {\"id\": \"dall-e-3\"},"
	    "{\"id\": \"gpt-image-1\"}, {\"id\": \"o3-mini\"}]}"), 0,
	    "kinds openai: parsed");
	is_ids(db, "gpt-4o text-embedding-3-small omni-moderation-latest"
	    " whisper-1 tts-1-hd gpt-4o-mini-tts gpt-4o-transcribe dall-e-3"
	    " gpt-image-1 o3-mini", "openai: all staged");
	{
		char *k = query(db, "SELECT group_concat(kind, ' ') FROM"
		    " (SELECT kind FROM staging ORDER BY rowid)", NULL);
		is_str(k, "chat embedding moderation audio audio audio audio"
		    " image image chat", "openai: kinds from the id");
		free(k);
	}

	ok(catalog_parse_time("2025-09-30T12:00:00Z", 20, &t) == 0 &&
	    t == 1759233600, "time: RFC 3339 UTC");
	ok(catalog_parse_time("2025-09-30T12:00:00.250Z", 24, &t) == 0 &&
	    t == 1759233600, "time: fractions are dropped");
	ok(catalog_parse_time("2025-09-30 14:00:00+02:00", 25, &t) == 0 &&
	    t == 1759233600, "time: blank for T, with an offset");
	ok(catalog_parse_time("2024-02-29", 10, &t) == 0 && t == 1709164800,
	    "time: a leap day");
	ok(catalog_parse_time("2025-02-29", 10, &t) == -1,
	    "time: not a leap year");
	ok(catalog_parse_time("2025-09-30T25:00:00Z", 20, &t) == -1,
	    "time: hour 25 refused");
	ok(catalog_parse_time("2025-9-30", 9, &t) == -1, "time: short month");
	ok(catalog_parse_time("1969-12-31", 10, &t) == -1, "time: before 1970");
	ok(catalog_parse_time("2025-09-30Tjunk", 15, &t) == -1, "time: junk");
	ok(catalog_parse_time("2025-09-30T12:00:00Zx", 21, &t) == -1,
	    "time: trailing bytes");
}

static void
test_formats(void)
{
	enum cat_format	 f = FMT_OPENAI;

	ok(catalog_parse_format("mistral", &f) == 0 && f == FMT_MISTRAL,
	    "format mistral");
	ok(catalog_parse_format("openrouter", &f) == 0 && f == FMT_OPENROUTER,
	    "format openrouter");
	ok(catalog_parse_format("openai", &f) == 0 && f == FMT_OPENAI,
	    "format openai");
	ok(catalog_parse_format("Mistral", &f) == -1, "format is exact");
	ok(catalog_parse_format("", &f) == -1, "empty format refused");
	ok(catalog_parse_format("json", &f) == -1, "unknown format refused");
	ok(catalog_parse_format(NULL, &f) == -1, "NULL format refused");
}

static void
test_mistral(sqlite3 *db)
{
	static const char *names[] = { "mistral-large-latest",
	    "mistral-medium-latest", "mistral-tiny-latest",
	    "open-mistral-nemo-2407", "pixtral-large-2411" };
	size_t	 i;

	is_int(parse_file(db, FMT_MISTRAL, "catalog-mistral.json"), 0,
	    "mistral: parsed");
	is_str(err, "", "mistral: no error");
	is_stats(13, 6, 0, 0, "mistral");
	is_ids(db, "mistral-large-2411 mistral-medium-2505"
	    " open-mistral-nemo-2407 pixtral-large-2411 magistral-medium-2506"
	    " mistral-embed", "mistral: aliases collapsed, list order kept");
	is_row(db, "mistral-large-2411", "mistral-large-2411|mistralai|131072"
	    "|NULL|NULL|9|[\"mistral-large-latest\"]|NULL");
	is_row(db, "mistral-medium-2505", "mistral-medium-2505|mistralai"
	    "|131072|NULL|NULL|11|[\"mistral-medium-latest\"]|NULL");
	is_row(db, "open-mistral-nemo-2407", "open-mistral-nemo-2407"
	    "|mistralai|131072|NULL|NULL|9|[\"open-mistral-nemo\","
	    "\"mistral-tiny-2407\",\"mistral-tiny-latest\"]|NULL");
	is_row(db, "pixtral-large-2411", "pixtral-large-2411|mistralai|131072"
	    "|NULL|NULL|11|[\"pixtral-large-latest\"]|NULL");
	is_row(db, "magistral-medium-2506", "magistral-medium-2506|mistralai"
	    "|40960|NULL|NULL|13|[\"magistral-medium-latest\"]|NULL");
	is_row(db, "mistral-embed", "mistral-embed|mistralai|8192|NULL|NULL|0"
	    "|[]|NULL");
	is_col(db, "SELECT description FROM staging WHERE id = ?1",
	    "open-mistral-nemo-2407",
	    "Our best multilingual open source model released July 2024.",
	    "mistral: description");
	is_int(query_int(db, "SELECT features FROM staging WHERE id = ?1",
	    "magistral-medium-2506"),
	    FEAT_STREAMING | FEAT_REASONING | FEAT_TOOLS,
	    "mistral: reasoning, tools and streaming bits");
	is_int(query_int(db, "SELECT features FROM staging WHERE id = ?1",
	    "pixtral-large-2411"), FEAT_STREAMING | FEAT_VISION | FEAT_TOOLS,
	    "mistral: vision bit");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ok(resolves(db, names[i]), "mistral: %s resolves", names[i]);
	ok(!resolves(db, "mistral-large"), "mistral: a name not listed does"
	    " not resolve");

	/* v2 adds codestral and renames mistral-embed; staging is replaced. */
	is_int(parse_file(db, FMT_MISTRAL, "catalog-mistral-seed-v2.json"), 0,
	    "mistral v2: parsed");
	is_stats(15, 7, 0, 0, "mistral v2");
	is_int(staged_count(db), 7, "mistral v2: staging replaced");
	is_row(db, "codestral-2501", "codestral-2501|mistralai|262144|NULL"
	    "|NULL|9|[\"codestral-latest\"]|NULL");
	is_row(db, "mistral-embed", "Mistral Embed|mistralai|8192|NULL|NULL|0"
	    "|[]|NULL");
	is_row(db, "mistral-large-2411", "mistral-large-2411|mistralai|131072"
	    "|NULL|NULL|9|[\"mistral-large-latest\"]|NULL");
}

static void
test_snapshot(sqlite3 *db)
{
	static const char *names[] = { "mistral-large-latest",
	    "mistral-medium-latest", "mistral-tiny-latest",
	    "open-mistral-nemo-2407", "pixtral-large-2411" };
	static const char *ids[] = { "mistral-large-2411",
	    "mistral-medium-2505", "mistral-small-2503",
	    "open-mistral-nemo-2407", "pixtral-large-2411", "pixtral-12b-2409",
	    "codestral-2501", "ministral-8b-2410", "ministral-3b-2410",
	    "magistral-medium-2506", "mistral-embed", "mistral-saba-2502" };
	static const char *aliases[] = { "mistral-large-latest",
	    "mistral-medium-latest", "mistral-small-latest",
	    "open-mistral-nemo", "mistral-tiny-2407", "mistral-tiny-latest",
	    "pixtral-large-latest", "codestral-latest", "ministral-8b-latest",
	    "ministral-3b-latest", "magistral-medium-latest" };
	size_t	 i;

	is_int(parse_file(db, FMT_MISTRAL, SNAPSHOT), 0, "snapshot: parsed");
	is_str(err, "", "snapshot: no error");
	is_stats(32, 15, 0, 0, "snapshot");
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		is_int(query_int(db, "SELECT count(*) FROM staging WHERE"
		    " id = ?1", ids[i]), 1, "snapshot: model %s", ids[i]);
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		is_int(query_int(db, "SELECT count(*) FROM staging WHERE"
		    " id = ?1", aliases[i]), 0, "snapshot: %s is not a model",
		    aliases[i]);
		ok(resolves(db, aliases[i]), "snapshot: alias %s", aliases[i]);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ok(resolves(db, names[i]), "snapshot: always_active %s",
		    names[i]);
	ok(resolves(db, "mistral-medium-latest"),
	    "snapshot: default_model resolves");
	is_int(query_int(db, "SELECT count(*) FROM staging WHERE"
	    " provider <> 'mistralai' OR description = '' OR"
	    " context_length IS NULL OR prompt_price IS NOT NULL OR"
	    " completion_price IS NOT NULL OR canonical_slug IS NOT NULL",
	    NULL), 0, "snapshot: provider, description, context; no prices");
	is_int(query_int(db, "SELECT features FROM staging WHERE id = ?1",
	    "magistral-medium-2506"),
	    FEAT_STREAMING | FEAT_REASONING | FEAT_TOOLS,
	    "snapshot: magistral reasons");
	is_int(query_int(db, "SELECT features FROM staging WHERE id = ?1",
	    "mistral-embed"), 0, "snapshot: mistral-embed has no badge");
	is_row(db, "open-mistral-nemo-2407", "open-mistral-nemo-2407"
	    "|mistralai|131072|NULL|NULL|9|[\"open-mistral-nemo\","
	    "\"mistral-tiny-2407\",\"mistral-tiny-latest\"]|NULL");
}

static void
test_mistral_aliases(sqlite3 *db)
{
	is_int(parse_file(db, FMT_MISTRAL, "catalog-mistral-aliases.json"), 0,
	    "mistral aliases: parsed");
	is_stats(15, 10, 1, 1, "mistral aliases");
	is_ids(db, "alpha-2401 beta-2402 gamma delta epsilon zeta eta"
	    " theta-2403 iota kappa", "mistral aliases: ids");
	/* The entry whose id is the name wins, though listed second. */
	is_row(db, "alpha-2401", "alpha-2401|mistralai|32768|NULL|NULL|3"
	    "|[\"alpha-latest\",\"alpha\"]|NULL");
	is_col(db, "SELECT description FROM staging WHERE id = ?1",
	    "alpha-2401", "Alpha.", "mistral aliases: the canonical's fields");
	/* No id equals the name: the smallest id; the name is shown. */
	is_row(db, "beta-2402", "Beta Model||NULL|NULL|NULL|0"
	    "|[\"beta-latest\"]|NULL");
	/* "alpha" was claimed first by alpha-2401. */
	is_row(db, "gamma", "gamma||NULL|NULL|NULL|0|[\"gamma-latest\"]|NULL");
	/* "gamma" is an id: never an alias; itself and repeats dropped. */
	is_row(db, "delta", "delta||NULL|NULL|NULL|0|[\"delta-latest\"]|NULL");
	is_row(db, "epsilon", "epsilon||NULL|NULL|NULL|0|[]|NULL");
	is_row(db, "zeta", "zeta||NULL|NULL|NULL|0|[]|NULL");
	is_row(db, "eta", "eta||NULL|NULL|NULL|8|[]|NULL");
	/* A nameless entry is its own canonical name and joins that group. */
	is_row(db, "theta-2403", "theta-2403||NULL|NULL|NULL|0"
	    "|[\"theta-latest\"]|NULL");
	is_row(db, "iota", "iota||NULL|NULL|NULL|0|[\"shared\"]|NULL");
	is_row(db, "kappa", "kappa||NULL|NULL|NULL|0|[\"kappa-latest\"]|NULL");
	ok(!resolves(db, "alpha-bad"), "mistral aliases: an entry with a bad id"
	    " brings nothing");
	ok(!resolves(db, "dup-alias"), "mistral aliases: a duplicate entry"
	    " brings nothing");
}

static void
test_mistral_nulls(sqlite3 *db)
{
	is_int(parse_file(db, FMT_MISTRAL, "catalog-mistral-nulls.json"), 0,
	    "mistral nulls: parsed");
	is_stats(6, 5, 1, 0, "mistral nulls");
	is_row(db, "null-everything", "null-everything||NULL|NULL|NULL|0|[]"
	    "|NULL");
	is_row(db, "null-caps", "null-caps||NULL|NULL|NULL|0"
	    "|[\"null-caps-latest\"]|NULL");
	is_row(db, "minimal", "minimal||NULL|NULL|NULL|0|[]|NULL");
	is_row(db, "wrong-types", "wrong-types||NULL|NULL|NULL|0|[]|NULL");
	is_row(db, "name-array", "name-array||NULL|NULL|NULL|0|[]|NULL");
	is_int(query_int(db, "SELECT count(*) FROM staging WHERE"
	    " description <> ''", NULL), 0, "mistral nulls: no description");
}

static void
test_openrouter(sqlite3 *db)
{
	is_int(parse_file(db, FMT_OPENROUTER, "catalog-openrouter.json"), 0,
	    "openrouter: parsed");
	is_stats(6, 6, 0, 0, "openrouter");
	is_ids(db, "openai/gpt-4o anthropic/claude-3.5-sonnet"
	    " deepseek/deepseek-r1 meta-llama/llama-3.1-8b-instruct:free"
	    " openrouter/auto mistralai/mistral-large-2411", "openrouter: ids");
	is_row(db, "openai/gpt-4o", "OpenAI: GPT-4o|openai|128000|2.5|10.0|11"
	    "|[]|openai/gpt-4o");
	is_row(db, "anthropic/claude-3.5-sonnet", "Anthropic: Claude 3.5 Sonnet"
	    "|anthropic|200000|3.0|15.0|11|[]"
	    "|anthropic/claude-3.5-sonnet-20240620");
	is_row(db, "deepseek/deepseek-r1", "DeepSeek: R1|deepseek|163840|0.4"
	    "|2.0|5|[]|deepseek/deepseek-r1");
	is_row(db, "meta-llama/llama-3.1-8b-instruct:free", "Meta: Llama 3.1 8B"
	    " Instruct (free)|meta-llama|131072|0.0|0.0|1|[]"
	    "|meta-llama/llama-3.1-8b-instruct");
	is_row(db, "openrouter/auto", "Auto Router|openrouter|2000000|NULL|NULL"
	    "|1|[]|openrouter/auto");
	is_row(db, "mistralai/mistral-large-2411", "Mistral Large 2411"
	    "|mistralai|131072|2.0|6.0|9|[]|mistralai/mistral-large-2411");
	ok(query_real(db, "SELECT prompt_price FROM staging WHERE id = ?1",
	    "anthropic/claude-3.5-sonnet") == 3.0,
	    "openrouter: 0.000003 per token is exactly 3 per 1M");
	ok(query_real(db, "SELECT completion_price FROM staging WHERE id = ?1",
	    "deepseek/deepseek-r1") == 2.0,
	    "openrouter: 0.000002 per token is exactly 2 per 1M");
	is_col(db, "SELECT description FROM staging WHERE id = ?1",
	    "openai/gpt-4o", "GPT-4o (\"o\" for \"omni\") is OpenAI's latest AI"
	    " model, supporting both text and image inputs with text outputs.",
	    "openrouter: description with escaped quotes");

	is_int(parse_file(db, FMT_OPENROUTER, "catalog-openrouter-nulls.json"),
	    0, "openrouter nulls: parsed");
	is_stats(6, 6, 0, 0, "openrouter nulls");
	is_row(db, "a/null-all", "a/null-all|a|NULL|NULL|NULL|1|[]|NULL");
	is_row(db, "a/null-inner", "a/null-inner|a|NULL|NULL|NULL|1|[]|NULL");
	is_row(db, "noslash", "noslash||NULL|NULL|NULL|1|[]|NULL");
	is_row(db, "/leading", "/leading||NULL|NULL|NULL|1|[]|NULL");
	is_row(db, "a/wrong", "a/wrong|a|NULL|NULL|NULL|1|[]|NULL");
	is_row(db, "a/empty-name", "a/empty-name|a|NULL|NULL|NULL|1|[]|NULL");
}

static void
test_prices(sqlite3 *db)
{
	is_int(parse_file(db, FMT_OPENROUTER, "catalog-prices.json"), 0,
	    "prices: parsed");
	is_stats(14, 14, 0, 0, "prices");
	is_row(db, "p/strings", "p/strings|p|128000|3.0|15.0|1|[]|NULL");
	is_row(db, "p/variable", "p/variable|p|NULL|NULL|NULL|1|[]|NULL");
	is_row(db, "p/numbers", "p/numbers|p|32768|3.0|15.0|1|[]|NULL");
	is_row(db, "p/int-numbers", "p/int-numbers|p|NULL|0.0|1000000.0|1|[]"
	    "|NULL");
	is_row(db, "p/exp", "p/exp|p|NULL|3.0|15.0|1|[]|NULL");
	is_row(db, "p/garbage", "p/garbage|p|NULL|NULL|NULL|1|[]|NULL");
	is_row(db, "p/negative", "p/negative|p|NULL|NULL|NULL|1|[]|NULL");
	is_row(db, "p/neg-zero", "p/neg-zero|p|4096|0.0|0.0|1|[]|NULL");
	is_row(db, "p/tiny", "p/tiny|p|2147483647|0.0375|0.15|1|[]|NULL");
	is_row(db, "p/bool-null", "p/bool-null|p|NULL|NULL|NULL|1|[]|NULL");
	is_row(db, "p/spaces", "p/spaces|p|NULL|1.0|NULL|1|[]|NULL");
	is_row(db, "p/nan", "p/nan|p|NULL|NULL|NULL|1|[]|NULL");
	is_row(db, "p/mixed", "p/mixed|p|NULL|1.25|2.5|1|[]|NULL");
	is_row(db, "p/partial", "p/partial|p|NULL|1000000.0|0.5|1|[]|NULL");
	ok(query_real(db, "SELECT prompt_price FROM staging WHERE id = ?1",
	    "p/numbers") == 3.0, "prices: a JSON number converts exactly");
	ok(query_real(db, "SELECT prompt_price FROM staging WHERE id = ?1",
	    "p/tiny") == 0.0375, "prices: 0.0000000375 is 0.0375 per 1M");
	ok(query_real(db, "SELECT completion_price FROM staging WHERE id = ?1",
	    "p/mixed") == 2.5, "prices: 0.0000025 is 2.5 per 1M");
	is_col(db, "SELECT typeof(prompt_price) || typeof(context_length)"
	    " FROM staging WHERE id = ?1", "p/strings", "realinteger",
	    "prices: stored as REAL and INTEGER");
}

static void
test_openai(sqlite3 *db)
{
	is_int(parse_file(db, FMT_OPENAI, "catalog-openai.json"), 0,
	    "openai: parsed");
	is_stats(5, 5, 0, 0, "openai");
	is_ids(db, "gpt-4o gpt-4o-mini text-embedding-3-small"
	    " ft:gpt-4o-mini:acme::abc123 local-model", "openai: ids");
	is_row(db, "gpt-4o", "gpt-4o|system|NULL|NULL|NULL|0|[]|NULL");
	is_row(db, "ft:gpt-4o-mini:acme::abc123", "ft:gpt-4o-mini:acme::abc123"
	    "|acme-org|NULL|NULL|NULL|0|[]|NULL");
	is_row(db, "local-model", "local-model||NULL|NULL|NULL|0|[]|NULL");

	/* The same document read as OpenRouter: prefix, streaming. */
	is_int(parse_file(db, FMT_OPENROUTER, "catalog-openai.json"), 0,
	    "openai as openrouter: parsed");
	is_row(db, "gpt-4o", "gpt-4o||NULL|NULL|NULL|1|[]|NULL");
	/* And a Mistral list read as OpenAI: every entry its own model. */
	is_int(parse_file(db, FMT_OPENAI, "catalog-mistral.json"), 0,
	    "mistral as openai: parsed");
	is_stats(13, 13, 0, 0, "mistral as openai");
	is_row(db, "mistral-large-latest", "mistral-large-latest|mistralai"
	    "|NULL|NULL|NULL|0|[]|NULL");
}

static void
test_hostile(sqlite3 *db)
{
	char	 want[1024];

	is_int(parse_file(db, FMT_OPENROUTER, "catalog-hostile-names.json"), 0,
	    "hostile: parsed");
	is_stats(8, 8, 0, 0, "hostile");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "evil/newline",
	    "Line one\nLine two", "hostile: newline kept");
	is_col(db, "SELECT description FROM staging WHERE id = ?1",
	    "evil/newline", "desc with \"quotes\" and \\backslash\\ and \t tab",
	    "hostile: quotes, backslashes, tab kept");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "evil/quotes",
	    "He said \"hi\", then = left\\", "hostile: quotes and = kept");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "evil/control",
	    "bell\a esc\033 del\177", "hostile: control characters kept");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "evil/crlf",
	    "\r\n", "hostile: a name of CR LF is a name");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "evil/logfmt",
	    "a=b c=\"d\" ok 0", "hostile: logfmt-like name kept");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "evil/sql",
	    "'); DROP TABLE staging; --", "hostile: SQL in a name is text");
	memset(want, 'N', 512);
	want[512] = '\0';
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "evil/big-name",
	    want, "hostile: name cut at 512 bytes");
	is_int(query_int(db, "SELECT length(CAST(name AS BLOB)) ||"
	    " substr(name, -1) = '512é' FROM staging WHERE id = ?1",
	    "evil/utf8-name"), 1, "hostile: UTF-8 name cut on a boundary");
}

static void
test_bad_ids(sqlite3 *db)
{
	char	 want[512];

	is_int(parse_file(db, FMT_OPENAI, "catalog-bad-ids.json"), 0,
	    "bad ids: parsed");
	is_stats(25, 3, 22, 0, "bad ids");
	memset(want, 'y', 200);
	snprintf(want + 200, sizeof(want) - 200,
	    " ok-1 !#$%%&'()*+-./:;<>?@[]^_`{|}~");
	is_ids(db, want, "bad ids: only usable ids staged");
	is_row(db, "ok-1", "ok-1|acme|NULL|NULL|NULL|0|[]|NULL");
}

static void
test_unicode(sqlite3 *db)
{
	is_int(parse_file(db, FMT_OPENROUTER, "catalog-unicode.json"), 0,
	    "unicode: parsed");
	is_stats(10, 9, 1, 0, "unicode");
	is_int(query_int(db, "SELECT count(*) FROM staging WHERE id = ?1",
	    "u/ABC"), 1, "unicode: an escaped ASCII id is decoded");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "u/pair",
	    "smile \xf0\x9f\x98\x80 end", "unicode: surrogate pair decoded");
	is_col(db, "SELECT description FROM staging WHERE id = ?1", "u/pair",
	    "rocket \xf0\x9f\x9a\x80", "unicode: upper-case pair decoded");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "u/lone-high",
	    "lone \xef\xbf\xbd high", "unicode: lone high surrogate -> U+FFFD");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "u/lone-low",
	    "lone \xef\xbf\xbd low", "unicode: lone low surrogate -> U+FFFD");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "u/high-then-text",
	    "\xef\xbf\xbdx", "unicode: high surrogate then text");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "u/reversed-pair",
	    "\xef\xbf\xbd\xef\xbf\xbd", "unicode: reversed pair -> 2 x U+FFFD");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "u/raw",
	    "\xc3\x9c" "n" "\xc3\xaf" "c" "\xc3\xb6" "d" "\xc3\xa9 "
	    "\xe6\xa8\xa1\xe5\x9e\x8b "
	    "\xf0\x9f\x9a\x80", "unicode: raw UTF-8 kept");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "u/escaped-bmp",
	    "caf\xc3\xa9 \xe6\xa8\xa1\xe5\x9e\x8b", "unicode: escaped BMP");
	is_col(db, "SELECT description FROM staging WHERE id = ?1",
	    "u/escaped-bmp", "A\xc3\x9f\xe2\x98\x83", "unicode: escaped mix");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "u/only-lone",
	    "\xef\xbf\xbd", "unicode: a name of one lone surrogate");
}

/*
 * Features and kinds come from arrays of strings (catalog_has in
 * catalog_fn.c reads the array's JSON text): an element counts when it is
 * a string equal to the name once decoded, at the array's top level.
 */
static void
test_arrays(sqlite3 *db)
{
	is_int(parse_str(db, FMT_OPENROUTER, "{\"data\":["
	    "{\"id\":\"a/esc\",\"pricing\":{},\"supported_parameters\":"
	    "[\"to\\u006fls\",\"include_re\\u0061soning\"],"
	    "\"architecture\":{\"output_modalities\":[\"\\u0069mage\"]}},"
	    "{\"id\":\"a/nested\",\"pricing\":{},\"supported_parameters\":"
	    "[[\"tools\"],{\"tools\":\"tools\"},\"reasoning\\u00e9\"],"
	    "\"architecture\":{\"input_modalities\":[\"\\\"image\",\"imag\"],"
	    "\"output_modalities\":[[\"text\"],\"embeddings\"]}},"
	    "{\"id\":\"a/odd\",\"pricing\":{},\"supported_parameters\":"
	    "[1,null,true,\"tools \",\"x\\\"tools\"],"
	    "\"architecture\":{\"input_modalities\":\"image\","
	    "\"output_modalities\":{\"0\":\"text\"}}},"
	    "{\"id\":\"a/plain\",\"pricing\":{},\"supported_parameters\":"
	    "[\"x\",\"tools\"],\"architecture\":{\"input_modalities\":"
	    "[\"text\",\"image\"],\"output_modalities\":[\"audio\",\"text\"]}}"
	    "]}"), 0, "arrays: parsed");
	is_int(query_int(db, "SELECT features FROM staging WHERE id = ?1",
	    "a/esc"), FEAT_STREAMING | FEAT_REASONING | FEAT_TOOLS,
	    "arrays: escaped names count");
	is_col(db, "SELECT kind FROM staging WHERE id = ?1", "a/esc", "image",
	    "arrays: an escaped output modality counts");
	is_int(query_int(db, "SELECT features FROM staging WHERE id = ?1",
	    "a/nested"), FEAT_STREAMING,
	    "arrays: nested, quoted and non-ASCII strings do not count");
	is_col(db, "SELECT kind FROM staging WHERE id = ?1", "a/nested",
	    "embedding", "arrays: a nested text is not an output");
	is_int(query_int(db, "SELECT features FROM staging WHERE id = ?1",
	    "a/odd"), FEAT_STREAMING, "arrays: non-strings and objects do not"
	    " count");
	is_col(db, "SELECT kind FROM staging WHERE id = ?1", "a/odd", "chat",
	    "arrays: outputs that are not an array: chat");
	is_int(query_int(db, "SELECT features FROM staging WHERE id = ?1",
	    "a/plain"), FEAT_STREAMING | FEAT_VISION | FEAT_TOOLS,
	    "arrays: plain strings count");
	is_col(db, "SELECT kind FROM staging WHERE id = ?1", "a/plain", "chat",
	    "arrays: text anywhere in the outputs: chat");
}

/*
 * The other prices (catalog_prices in catalog_fn.c reads the pricing
 * object's JSON text): names decoded, then checked; at most 32 in name
 * order; a name with a NUL in it is not a name.
 */
static void
test_prices_text(sqlite3 *db)
{
	struct buf	 b = { 0 };
	char		 name[32];
	int		 i;

	is_int(parse_str(db, FMT_OPENROUTER, "{\"data\":["
	    "{\"id\":\"q/esc\",\"pricing\":{\"prompt\":\"1\","
	    "\"w\\u0065b\":\"\\u0030.5\",\"im\\u0000age\":\"1\","
	    "\"Image\":\"1\",\"caf\\u00e9\":\"1\",\"a\":{\"b\":1},"
	    "\"c\":[1],\"d\":true,\"e\":null,\"f\":-0,\"g\":\" 2e-3 \","
	    "\"h\":1e400,\"i\":\"-1\",\"b\":12345678901234567890}},"
	    "{\"id\":\"q/none\",\"pricing\":[\"request\",1]}]}"), 0,
	    "prices text: parsed");
	is_col(db, PRICES_SQL, "q/esc", "{\"b\":1.23456789012346e+19,"
	    "\"f\":0.0,\"g\":0.002,\"web\":0.5}",
	    "prices text: decoded names, numbers as read, the rest dropped");
	is_col(db, PRICES_SQL, "q/none", "{}", "prices text: not an object");
	buf_puts(&b, "{\"data\":[{\"id\":\"q/many\",\"pricing\":{");
	for (i = 40; i > 0; i--) {
		snprintf(name, sizeof(name), "%s\"p%02d\":%d",
		    i < 40 ? "," : "", i, i);
		buf_puts(&b, name);
	}
	buf_puts(&b, "}}]}");
	is_int(catalog_parse(db, FMT_OPENROUTER, b.data, b.len, &st, err,
	    sizeof(err)), 0, "prices text: 40 prices parsed");
	is_int(query_int(db, "SELECT count(*) FROM staging AS s,"
	    " json_each(s.prices) AS p WHERE s.id = ?1 AND p.key <= 'p32'",
	    "q/many"), 32, "prices text: the first 32 by name are kept");
	free(b.data);
}

static void
test_bigdesc(sqlite3 *db)
{
	struct buf	 b = { 0 };
	int		 i;

	is_int(parse_file(db, FMT_OPENROUTER, "catalog-bigdesc.json"), 0,
	    "bigdesc: parsed");
	is_stats(2, 2, 0, 0, "bigdesc");
	is_int(query_int(db, "SELECT length(CAST(description AS BLOB))"
	    " FROM staging WHERE id = ?1", "big/boundary"), 16383,
	    "bigdesc: cut before a 2-byte character that does not fit");
	is_col(db, "SELECT substr(description, -3) FROM staging WHERE id = ?1",
	    "big/boundary", "aaa", "bigdesc: ends with the last whole char");
	is_col(db, "SELECT description FROM staging WHERE id = ?1",
	    "big/after", "short", "bigdesc: next entry intact");

	/* A 3-byte character across the cap, and a plain long text. */
	buf_puts(&b, "{\"data\":[{\"id\":\"big/euro\",\"description\":\"");
	for (i = 0; i < 16382; i++)
		buf_putc(&b, 'c');
	for (i = 0; i < 100; i++)
		buf_puts(&b, "\xe2\x82\xac");
	buf_puts(&b, "\"},{\"id\":\"big/plain\",\"description\":\"");
	for (i = 0; i < 20000; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"}]}");
	is_int(catalog_parse(db, FMT_OPENROUTER, b.data, b.len, &st, err,
	    sizeof(err)), 0, "bigdesc generated: parsed");
	is_int(query_int(db, "SELECT length(CAST(description AS BLOB))"
	    " FROM staging WHERE id = ?1", "big/euro"), 16382,
	    "bigdesc: a 3-byte character is not split");
	is_int(query_int(db, "SELECT length(CAST(description AS BLOB))"
	    " FROM staging WHERE id = ?1", "big/plain"), 16384,
	    "bigdesc: cut at 16 KiB");
	buf_free(&b);
}

static void
test_duplicates(sqlite3 *db)
{
	is_int(parse_file(db, FMT_OPENROUTER, "catalog-duplicates.json"), 0,
	    "duplicates: parsed");
	is_stats(6, 3, 0, 3, "duplicates");
	is_ids(db, "dup/a dup/b dup/c", "duplicates: ids");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "dup/a",
	    "first A", "duplicates: the first dup/a is kept");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "dup/b",
	    "first B", "duplicates: the first dup/b is kept");
}

/*
 * Issue 11: a plain format's rows go straight to staging, each written
 * once: the parse changes as many rows as it stages (it used to write
 * each to catalog_raw, delete the duplicates there, copy the rest and
 * empty catalog_raw: 15 rows for these 3), with the counts as before
 * (an entry without an id is skipped, the first of an id wins).
 */
static void
test_plain_once(sqlite3 *db)
{
	static const char body[] = "{\"data\": [{\"id\": \"p/a\","
	    " \"name\": \"first\"}, 7, {\"name\": \"no id\"},"
	    " {\"id\": \"p/b\"}, {\"id\": \"p/a\", \"name\": \"second\"},"
	    " {\"id\": \"p/c\", \"pricing\": {\"prompt\": \"0.5\"}}]}";
	enum cat_look		 look;
	int			 before;

	/* Leave staging empty first, so that the count is of this parse. */
	sqlite3_exec(db, "DELETE FROM staging", NULL, NULL, NULL);
	before = sqlite3_total_changes(db);
	is_int(catalog_parse(db, FMT_OPENROUTER, body, strlen(body), &st, err,
	    sizeof(err)), 0, "plain once: parsed");
	is_int(sqlite3_total_changes(db) - before, 3,
	    "plain once: each staged row written once, nothing else");
	is_stats(6, 3, 2, 1, "plain once");
	is_ids(db, "p/a p/b p/c", "plain once: ids in the list's order");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "p/a", "first",
	    "plain once: the first p/a is kept");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "p/b", "p/b",
	    "plain once: a row without a name is named by its id");
	/* The checked parse counts what the rows look like, as before. */
	is_int(catalog_parse_checked(db, FMT_AUTO, body, strlen(body), &st,
	    &look, err, sizeof(err)), 0, "plain once: a checked parse");
	is_int(look, LOOK_OPENROUTER, "plain once: it looks like OpenRouter's");
	is_ids(db, "p/a p/b p/c", "plain once: checked, the same ids");
	is_stats(6, 3, 2, 1, "plain once, checked");
}

/* After an error: the message, zero stats, and an empty staging. */
static void
check_error(sqlite3 *db, int rc, const char *want, const char *what)
{
	is_int(rc, -1, "%s: refused", what);
	is_str(err, want, "%s: message", what);
	is_stats(0, 0, 0, 0, what);
	is_int(staged_count(db), 0, "%s: staging empty", what);
}

static void
test_errors(sqlite3 *db)
{
	static const struct {
		const char	*file;
		const char	*err;
	} files[] = {
		{ "catalog-invalid.json", "invalid JSON" },
		{ "catalog-truncated.json", "invalid JSON" },
		{ "catalog-data-not-array.json", "no data array" },
		{ "catalog-data-null.json", "no data array" },
		{ "catalog-no-data.json", "no data array" },
		{ "catalog-toplevel-array.json", "no data array" },
	};
	static const struct {
		const char	*body;
		const char	*err;
	} bodies[] = {
		{ "   ", "invalid JSON" },
		{ "null", "no data array" },
		{ "42", "no data array" },
		{ "\"data\"", "no data array" },
		{ "{\"data\": \"[]\"}", "no data array" },
		{ "{\"data\": [1, 2,]}", "invalid JSON" },
		{ "{\"data\": []} trailing", "invalid JSON" },
		{ "{\"data\": [{\"id\" \"x\"}]}", "invalid JSON" },
	};
	struct buf	 b = { 0 };
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		/* Fill staging first: an error must leave it empty. */
		parse_file(db, FMT_MISTRAL, "catalog-mistral.json");
		rc = parse_file(db, FMT_MISTRAL, files[i].file);
		check_error(db, rc, files[i].err, files[i].file);
	}
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		parse_file(db, FMT_MISTRAL, "catalog-mistral.json");
		rc = parse_str(db, FMT_OPENROUTER, bodies[i].body);
		check_error(db, rc, bodies[i].err, bodies[i].body);
	}

	parse_file(db, FMT_MISTRAL, "catalog-mistral.json");
	rc = catalog_parse(db, FMT_MISTRAL, "", 0, &st, err, sizeof(err));
	check_error(db, rc, "invalid JSON", "empty body");
	rc = catalog_parse(db, FMT_MISTRAL, NULL, 0, &st, err, sizeof(err));
	check_error(db, rc, "invalid JSON", "NULL body");

	parse_file(db, FMT_MISTRAL, "catalog-mistral.json");
	rc = catalog_parse(db, FMT_OPENAI, "{\"data\":[{\"id\":\"a\"}]}\0x",
	    23, &st, err, sizeof(err));
	check_error(db, rc, "body contains a NUL byte", "NUL byte");

	/* Refused on the length alone, before the bytes are looked at. */
	parse_file(db, FMT_MISTRAL, "catalog-mistral.json");
	rc = catalog_parse(db, FMT_OPENAI, "{}", (size_t)INT_MAX + 1, &st,
	    err, sizeof(err));
	check_error(db, rc, "body too large", "over INT_MAX");

	parse_file(db, FMT_MISTRAL, "catalog-mistral.json");
	rc = catalog_parse(db, (enum cat_format)99, "{\"data\":[]}", 11, &st,
	    err, sizeof(err));
	check_error(db, rc, "unknown catalog format", "unknown format");

	/* Nesting deeper than SQLite's JSON parser allows. */
	buf_puts(&b, "{\"data\":[");
	for (i = 0; i < 3000; i++)
		buf_putc(&b, '[');
	for (i = 0; i < 3000; i++)
		buf_putc(&b, ']');
	buf_puts(&b, "]}");
	parse_file(db, FMT_MISTRAL, "catalog-mistral.json");
	rc = catalog_parse(db, FMT_OPENAI, b.data, b.len, &st, err,
	    sizeof(err));
	check_error(db, rc, "invalid JSON", "deep nesting");
	buf_free(&b);

	/* An empty list is not an error here: the caller decides. */
	is_int(parse_file(db, FMT_MISTRAL, "catalog-empty-data.json"), 0,
	    "empty data: parsed");
	is_stats(0, 0, 0, 0, "empty data");

	/* No stats, no err buffer: still safe. */
	ok(catalog_parse(db, FMT_OPENAI, "[]", 2, NULL, NULL, 0) == -1,
	    "error without stats or err buffer");
	ok(catalog_parse(db, FMT_OPENAI, "{\"data\":[{\"id\":\"a\"}]}", 21,
	    NULL, NULL, 0) == 0, "success without stats or err buffer");
}

static void
test_odd_bytes(sqlite3 *db)
{
	/* Raw ill-formed UTF-8 and an escaped NUL inside strings. */
	static const char body[] = "{\"data\":["
	    "{\"id\":\"b/ff\",\"name\":\"a\xff" "b\"},"
	    "{\"id\":\"b/overlong\",\"name\":\"\xc0\xaf!\"},"
	    "{\"id\":\"b/cut\",\"name\":\"x\xe2\x82\"},"
	    "{\"id\":\"b/nul\",\"name\":\"before\\u0000after\"},"
	    "{\"id\":\"b/\xff\"}]}";
	char	*v;

	is_int(parse_str(db, FMT_OPENROUTER, body), 0, "odd bytes: parsed");
	is_stats(5, 4, 1, 0, "odd bytes");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "b/ff",
	    "a\xef\xbf\xbd" "b", "odd bytes: 0xff -> U+FFFD");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "b/overlong",
	    "\xef\xbf\xbd\xef\xbf\xbd!", "odd bytes: overlong -> U+FFFD");
	is_col(db, "SELECT name FROM staging WHERE id = ?1", "b/cut",
	    "x\xef\xbf\xbd\xef\xbf\xbd", "odd bytes: cut sequence -> U+FFFD");
	v = query(db, "SELECT name FROM staging WHERE id = ?1", "b/nul");
	ok(v != NULL && strncmp(v, "before", 6) == 0, "odd bytes: \\u0000"
	    " does not lose the start");
	is_int(query_int(db, "SELECT length(CAST(name AS BLOB)) FROM staging"
	    " WHERE id = ?1", "b/nul"), v ? (long long)strlen(v) : -1,
	    "odd bytes: no NUL byte inside a name");
	free(v);
	is_int(query_int(db, "SELECT count(*) FROM staging WHERE"
	    " name <> CAST(CAST(name AS BLOB) AS TEXT)", NULL), 0,
	    "odd bytes: names are text");
}

static void
test_big(sqlite3 *db)
{
	struct buf	 b = { 0 };
	int		 i, okbuf = 1;

	okbuf &= buf_puts(&b, "{\"data\":[") == 0;
	for (i = 0; i < 5000; i++) {
		okbuf &= buf_printf(&b, "%s{\"id\":\"prov%d/model-%d\","
		    "\"canonical_slug\":\"prov%d/model-%d-20250101\","
		    "\"name\":\"Provider %d: Model %d\",\"description\":\"",
		    i ? "," : "", i % 50, i, i % 50, i, i % 50, i) == 0;
		for (int j = 0; j < 16; j++)
			okbuf &= buf_puts(&b, "A capable model for many tasks, "
			    "with a long description. ") == 0;
		okbuf &= buf_printf(&b, "\",\"context_length\":%s,"
		    "\"architecture\":{\"modality\":\"text->text\","
		    "\"input_modalities\":[\"text\"%s],"
		    "\"output_modalities\":[\"text\"]},"
		    "\"pricing\":{\"prompt\":\"0.00000%d\","
		    "\"completion\":%s,\"request\":\"0\"},"
		    "\"top_provider\":{\"context_length\":131072,"
		    "\"is_moderated\":false},"
		    "\"supported_parameters\":[\"max_tokens\",\"temperature\","
		    "\"top_p\",\"stop\"%s]}",
		    i % 3 ? "131072" : "\"65536\"", i % 2 ? ",\"image\"" : "",
		    i % 10, i % 7 ? "\"0.000002\"" : "-1",
		    i % 4 ? ",\"tools\"" : "") == 0;
	}
	/* Ten duplicates and ten unusable ids at the end. */
	for (i = 0; i < 10; i++)
		okbuf &= buf_printf(&b, ",{\"id\":\"prov%d/model-%d\"},"
		    "{\"id\":\"bad id %d\"}", i % 50, i, i) == 0;
	okbuf &= buf_puts(&b, "]}") == 0;
	ok(okbuf && b.len > 5 * 1000 * 1000, "big: a %zu-byte document", b.len);

	is_int(catalog_parse(db, FMT_OPENROUTER, b.data, b.len, &st, err,
	    sizeof(err)), 0, "big: parsed");
	is_str(err, "", "big: no error");
	is_stats(5020, 5000, 10, 10, "big");
	is_int(staged_count(db), 5000, "big: 5000 rows staged");
	is_int(query_int(db, "SELECT count(*) FROM staging WHERE features & "
	    "2 <> 0", NULL), 2500, "big: vision models");
	is_int(query_int(db, "SELECT count(*) FROM staging WHERE features & "
	    "8 <> 0", NULL), 3750, "big: tools models");
	is_int(query_int(db, "SELECT count(*) FROM staging WHERE"
	    " completion_price IS NULL", NULL), 715, "big: variable prices");
	is_int(query_int(db, "SELECT count(*) FROM staging WHERE"
	    " context_length = 65536", NULL), 1667, "big: context as strings");
	is_row(db, "prov7/model-4257", "Provider 7: Model 4257|prov7|65536"
	    "|7.0|2.0|11|[]|prov7/model-4257-20250101");
	buf_free(&b);
}

/* A statement of the caller still running does not get in the way. */
static void
test_active_statement(void)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	int		 rc;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return;
	sqlite3_prepare_v2(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL"
	    " SELECT x + 1 FROM c LIMIT 10) SELECT x FROM c", -1, &s, NULL);
	ok(sqlite3_step(s) == SQLITE_ROW, "active: a statement is running");
	is_int(parse_file(db, FMT_MISTRAL, "catalog-mistral.json"), 0,
	    "active: first parse");
	is_int(parse_file(db, FMT_MISTRAL, "catalog-mistral.json"), 0,
	    "active: second parse");
	ok(sqlite3_step(s) == SQLITE_ROW, "active: the statement still runs");
	sqlite3_finalize(s);

	/* Inside a caller's transaction, and rolled back with it. */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	is_int(parse_file(db, FMT_OPENAI, "catalog-openai.json"), 0,
	    "transaction: parsed inside BEGIN");
	is_int(staged_count(db), 5, "transaction: staged");
	is_int(parse_file(db, FMT_OPENAI, "catalog-invalid.json"), -1,
	    "transaction: an error inside BEGIN");
	is_int(staged_count(db), 0, "transaction: staging empty");
	ok(sqlite3_get_autocommit(db) == 0, "transaction: still open");
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	/* A body above the connection's length limit. */
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1000);
	rc = parse_file(db, FMT_MISTRAL, "catalog-mistral.json");
	check_error(db, rc, "body too large", "over SQLITE_LIMIT_LENGTH");
	sqlite3_close(db);
}

/* What every sample of tests/data (and the snapshot) looks like. */
static void
test_detect(sqlite3 *db)
{
	static const struct {
		const char	*file;
		enum cat_look	 look;
	} t[] = {
		{ "cat-base.json", LOOK_OPENROUTER },
		{ "cat-delist.json", LOOK_OPENROUTER },
		{ "cat-empty.json", LOOK_OPENAI },
		{ "cat-shrink.json", LOOK_OPENROUTER },
		{ "cat-v2.json", LOOK_OPENROUTER },
		{ "catalog-bad-ids.json", LOOK_OPENAI },
		{ "catalog-bigdesc.json", LOOK_OPENAI },
		{ "catalog-data-not-array.json", LOOK_NONE },
		{ "catalog-data-null.json", LOOK_NONE },
		{ "catalog-duplicates.json", LOOK_OPENAI },
		{ "catalog-empty-data.json", LOOK_OPENAI },
		{ "catalog-hostile-names.json", LOOK_OPENAI },
		{ "catalog-invalid.json", LOOK_NONE },
		{ "catalog-mistral-aliases.json", LOOK_MISTRAL },
		{ "catalog-mistral-nulls.json", LOOK_MISTRAL },
		{ "catalog-mistral-seed-v2.json", LOOK_MISTRAL },
		{ "catalog-mistral.json", LOOK_MISTRAL },
		{ "catalog-no-data.json", LOOK_NONE },
		{ "catalog-openai.json", LOOK_OPENAI },
		{ "catalog-openrouter-nulls.json", LOOK_OPENROUTER },
		{ "catalog-openrouter.json", LOOK_OPENROUTER },
		{ "catalog-prices.json", LOOK_OPENROUTER },
		{ "catalog-toplevel-array.json", LOOK_NONE },
		{ "catalog-truncated.json", LOOK_NONE },
		{ "catalog-unicode.json", LOOK_OPENAI },
		{ "it-mistral.json", LOOK_MISTRAL },
		{ "it-openrouter.json", LOOK_OPENROUTER },
		{ "it-weird.json", LOOK_OPENROUTER },
		{ "up-models-odd.json", LOOK_OPENROUTER },
		{ "up-models.json", LOOK_OPENROUTER },
		{ "up-green.json", LOOK_NONE },
		{ "zdr-catalog.json", LOOK_OPENROUTER },
		{ "zdr-empty.json", LOOK_OPENAI },
		{ "zdr-no-data.json", LOOK_NONE },
		{ SNAPSHOT, LOOK_MISTRAL },
	};
	static const struct {
		const char	*body;
		enum cat_look	 look;
		const char	*what;
	} b[] = {
		{ "{\"data\":[{\"id\":\"a\",\"object\":\"model\",\"created\":1,"
		  "\"owned_by\":\"x\"}]}", LOOK_OPENAI, "the four shared members" },
		{ "{\"data\":[{\"id\":\"a\",\"aliases\":[]}]}", LOOK_MISTRAL,
		  "aliases alone" },
		{ "{\"data\":[{\"id\":\"a\",\"context_length\":5}]}",
		  LOOK_OPENROUTER, "context_length alone" },
		{ "{\"data\":[{\"id\":\"a\",\"pricing\":null,"
		  "\"capabilities\":null}]}", LOOK_OPENAI, "null members count for nothing" },
		{ "{\"data\":[{\"id\":\"a\",\"pricing\":{}},{\"id\":\"b\","
		  "\"capabilities\":{}}]}", LOOK_MIXED, "one of each: mixed" },
		{ "{\"data\":[{\"id\":\"a\",\"pricing\":{}},{\"id\":\"b\","
		  "\"pricing\":{}},{\"id\":\"c\",\"capabilities\":{}}]}",
		  LOOK_OPENROUTER, "the majority decides" },
		{ "{\"data\":[1,\"x\",null,{\"id\":\"a\"}]}", LOOK_OPENAI,
		  "entries that are not objects are not looked at" },
		{ "{\"data\":[{\"id\":\"a\",\"x\":{\"pricing\":1}}]}", LOOK_OPENAI,
		  "a nested member is not a member of the entry" },
	};
	static const struct {
		enum cat_format	 conf;
		enum cat_look	 look;
		int		 rc;
		enum cat_format	 use;
		const char	*err;
	} p[] = {
		{ FMT_AUTO, LOOK_MISTRAL, 0, FMT_MISTRAL, NULL },
		{ FMT_AUTO, LOOK_OPENROUTER, 0, FMT_OPENROUTER, NULL },
		{ FMT_AUTO, LOOK_OPENAI, 0, FMT_OPENAI, NULL },
		{ FMT_AUTO, LOOK_NONE, 0, FMT_MISTRAL, NULL },
		{ FMT_AUTO, LOOK_MIXED, -1, 0, "cannot tell the format" },
		{ FMT_MISTRAL, LOOK_MISTRAL, 0, FMT_MISTRAL, NULL },
		{ FMT_MISTRAL, LOOK_OPENAI, 0, FMT_MISTRAL, NULL },
		{ FMT_MISTRAL, LOOK_MIXED, 0, FMT_MISTRAL, NULL },
		{ FMT_MISTRAL, LOOK_OPENROUTER, -1, 0,
		  "the body looks like openrouter, not mistral (set format = openrouter or auto)" },
		{ FMT_OPENROUTER, LOOK_MISTRAL, -1, 0,
		  "the body looks like mistral, not openrouter (set format = mistral or auto)" },
		{ FMT_OPENROUTER, LOOK_OPENAI, 0, FMT_OPENROUTER, NULL },
		{ FMT_OPENAI, LOOK_OPENAI, 0, FMT_OPENAI, NULL },
		{ FMT_OPENAI, LOOK_MISTRAL, -1, 0,
		  "the body looks like mistral, not openai (set format = mistral or auto)" },
		{ FMT_OPENAI, LOOK_OPENROUTER, -1, 0,
		  "the body looks like openrouter, not openai (set format = openrouter or auto)" },
		{ FMT_OPENAI, LOOK_NONE, 0, FMT_OPENAI, NULL },
	};
	struct catalog_shape	 sh;
	enum cat_format		 use;
	enum cat_look		 look;
	char			 path[1024], e[256];
	char			*body;
	size_t			 i, len;
	int			 rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].file[0] == '/')
			snprintf(path, sizeof(path), "%s", t[i].file);
		else
			snprintf(path, sizeof(path), "%s/%s", TEST_DATADIR, t[i].file);
		if ((body = load(path, &len)) == NULL) {
			ok(0, "detect: cannot load %s", t[i].file);
			continue;
		}
		look = catalog_detect(db, body, len, &sh);
		ok(look == t[i].look, "detect %s: %s (%d entries, %d mistral, "
		    "%d openrouter)", t[i].file, catalog_look_name(t[i].look),
		    sh.entries, sh.mistral, sh.openrouter);
		free(body);
	}
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		ok(catalog_detect(db, b[i].body, strlen(b[i].body), NULL) ==
		    b[i].look, "detect: %s", b[i].what);
	ok(catalog_detect(db, "{\"data\":[]}\0x", 14, NULL) == LOOK_NONE,
	    "detect: a NUL byte is not a catalog");
	ok(catalog_detect(db, NULL, 0, NULL) == LOOK_NONE, "detect: no body");
	is_str(catalog_look_name(LOOK_MIXED), "mixed", "look name mixed");

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		e[0] = '\0';
		use = FMT_AUTO;
		rc = catalog_pick_format(p[i].conf, p[i].look, &use, e, sizeof(e));
		ok(rc == p[i].rc && (rc == -1 || use == p[i].use) &&
		    (p[i].err == NULL || strncmp(e, p[i].err, strlen(p[i].err)) == 0),
		    "pick %s for a body like %s: %s", cfg_format_name(p[i].conf),
		    catalog_look_name(p[i].look), rc == 0 ?
		    cfg_format_name(use) : e);
	}

	/* A mismatch changes nothing: staging keeps the last good parse. */
	is_int(parse_file(db, FMT_MISTRAL, "catalog-mistral.json"), 0,
	    "checked: a Mistral catalog first");
	rc = staged_count(db);
	body = NULL;
	snprintf(path, sizeof(path), "%s/catalog-openrouter.json", TEST_DATADIR);
	if ((body = load(path, &len)) != NULL) {
		look = LOOK_NONE;
		is_int(catalog_parse_checked(db, FMT_MISTRAL, body, len, &st, &look,
		    e, sizeof(e)), -1, "checked: OpenRouter read as mistral fails");
		is_str(e, "the body looks like openrouter, not mistral (set format "
		    "= openrouter or auto)", "checked: the error names the format");
		ok(look == LOOK_OPENROUTER, "checked: the look is told");
		is_int(staged_count(db), rc, "checked: staging unchanged");
		is_int(catalog_parse_checked(db, FMT_AUTO, body, len, &st, &look,
		    e, sizeof(e)), 0, "checked: auto parses it");
		is_int(st.staged, 6, "checked: auto read it as openrouter (6 models)");
		is_int(query_int(db, "SELECT count(*) FROM staging WHERE "
		    "prompt_price IS NOT NULL", NULL) > 0, 1,
		    "checked: with its prices");
		free(body);
	}
}

/* Every staged row, every column quoted, in id order: one text to compare. */
static char *
staged_dump(sqlite3 *db)
{
	sqlite3_stmt	*q;
	char		*s = NULL;

	if (sqlite3_prepare_v2(db, "SELECT group_concat(r, char(10)) FROM"
	    " (SELECT quote(id) || ',' || quote(name) || ',' ||"
	    " quote(provider) || ',' || quote(description) || ',' ||"
	    " quote(context_length) || ',' || quote(prompt_price) || ',' ||"
	    " quote(completion_price) || ',' || quote(features) || ',' ||"
	    " quote(aliases) || ',' || quote(canonical_slug) || ',' ||"
	    " quote(kind) || ',' || quote(prices) || ',' || quote(expires_at)"
	    " AS r FROM staging ORDER BY rowid)", -1, &q, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0) != NULL)
		s = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return s;
}

/*
 * Parse body serially and with h helpers (catalog_par.c): the same
 * outcome, the same error, the same counts and the same rows in the same
 * order (rowid: the order they were staged in).
 */
static void
par_same(sqlite3 *db, enum cat_format fmt, const struct buf *b, int h,
    const char *what)
{
	struct catalog_stats	 s1, s2;
	char			 e1[256], e2[256], *d1, *d2;
	int			 r1, r2;

	catalog_parallel(SIZE_MAX, 0);
	r1 = catalog_parse(db, fmt, b->data, b->len, &s1, e1, sizeof(e1));
	d1 = staged_dump(db);
	catalog_parallel(0, h);
	r2 = catalog_parse(db, fmt, b->data, b->len, &s2, e2, sizeof(e2));
	d2 = staged_dump(db);
	ok(r1 == r2 && strcmp(e1, e2) == 0, "parallel %s, %d helpers: "
	    "the same outcome (%d, \"%s\"; %d, \"%s\")", what, h, r1, e1, r2,
	    e2);
	ok(s1.entries == s2.entries && s1.staged == s2.staged &&
	    s1.skipped == s2.skipped && s1.duplicates == s2.duplicates,
	    "parallel %s, %d helpers: the same counts (%d %d %d %d)", what, h,
	    s2.entries, s2.staged, s2.skipped, s2.duplicates);
	ok((d1 == NULL && d2 == NULL) || (d1 != NULL && d2 != NULL &&
	    strcmp(d1, d2) == 0), "parallel %s, %d helpers: the same rows"
	    " in the same order", what, h);
	free(d1);
	free(d2);
}

/*
 * Issue 8, import speed: a plain format's elements read by helper
 * threads give what the serial pass gives, rows and errors alike,
 * however the elements fall into batches (a body of many elements of
 * every odd shape: duplicates, unusable ids, non-objects, strings for
 * numbers, escapes, long texts), and an element found invalid by a
 * helper still decides over what the splitter finds after it.
 */
static void
test_parallel(sqlite3 *db)
{
	static const char *const odd[] = {
		"{\"id\":\"dup/x\",\"name\":\"second\"}",
		"{\"id\":\"bad id\"}",
		"42",
		"\"a string\"",
		"null",
		"[1,2]",
		"{\"id\":7}",
		"{\"id\":\"u/\\u00e9\\u20ac\",\"name\":\"\\ud83d\\ude00 x\"}",
		"{\"id\":\"n/1\",\"context_length\":\"x\",\"pricing\":"
		    "{\"prompt\":\"-1\",\"completion\":1e400,\"image\":\"2\"}}",
		"{\"id\":\"k/1\",\"architecture\":{\"output_modalities\":"
		    "[\"embeddings\"]},\"expiration_date\":\"2030-01-02\"}",
		"{\"id\":\"o/1\",\"owned_by\":\"acme\",\"object\":\"model\"}",
	};
	static const enum cat_format fmts[] = { FMT_OPENROUTER, FMT_OPENAI };
	struct buf	 b = { 0 };
	size_t		 n = sizeof(odd) / sizeof(odd[0]);
	int		 i, f, h;

	buf_puts(&b, "{\"object\":\"list\",\"data\":[");
	buf_puts(&b, "{\"id\":\"dup/x\",\"name\":\"first\"}");
	for (i = 0; i < 3000; i++) {
		if (i % 7 == 3)
			buf_printf(&b, ",%s", odd[(size_t)i % n]);
		buf_printf(&b, ",{\"id\":\"p%d/m-%d\",\"name\":\"M %d\","
		    "\"description\":\"%.*s\",\"context_length\":%d,"
		    "\"pricing\":{\"prompt\":\"0.00000%d\",\"completion\":"
		    "\"0.000002\"},\"supported_parameters\":[\"tools\"]}",
		    i % 13, i % 997, i, i % 400,
		    "lorem ipsum dolor sit amet \\\" \\\\ \\n consectetur "
		    "adipiscing elit sed do eiusmod tempor incididunt ut labore "
		    "et dolore magna aliqua ut enim ad minim veniam quis nostrud "
		    "exercitation ullamco laboris nisi ut aliquip ex ea commodo "
		    "consequat duis aute irure dolor in reprehenderit in voluptate "
		    "velit esse cillum dolore eu fugiat nulla pariatur excepteur "
		    "sint occaecat cupidatat non proident sunt in culpa qui "
		    "officia deserunt mollit anim id est laborum lorem ipsum dolor",
		    i * 17, i % 10);
	}
	buf_puts(&b, "]}");
	for (f = 0; f < 2; f++)
		for (h = 1; h <= 2; h++)
			par_same(db, fmts[f], &b, h, f == 0 ? "openrouter" :
			    "openai");

	/* An invalid element in the middle, then what the splitter refuses. */
	b.len -= 2;
	b.data[b.len] = '\0';
	buf_puts(&b, ",{\"id\":\"late\",\"x\":tru}");
	for (i = 0; i < 200; i++)
		buf_printf(&b, ",{\"id\":\"after/%d\"}", i);
	buf_puts(&b, ",{\"id\":\"huge\",\"description\":\"");
	for (i = 0; i < 5 * 1024 * 1024; i += 64)
		buf_puts(&b, "0123456789012345678901234567890123456789"
		    "012345678901234567890123");
	buf_puts(&b, "\"}]}");
	par_same(db, FMT_OPENROUTER, &b, 2, "invalid element, then too big");
	b.len -= 2;
	b.data[b.len] = '\0';
	buf_puts(&b, "]]");
	par_same(db, FMT_OPENROUTER, &b, 2, "invalid element, then a syntax error");
	buf_free(&b);
	catalog_parallel(SIZE_MAX, 0);
	/* The knob's default again: what every other test and the daemon see. */
	catalog_parallel(1024 * 1024, -1);
}

int
main(void)
{
	sqlite3	*db;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		printf("Bail out! sqlite3_open\n");
		return 1;
	}
#ifdef CATALOG_TEST_PARALLEL
	/* test_catalog_par: every body below read by two helper threads. */
	catalog_parallel(0, 2);
#endif
	tap_run(test_formats());
	tap_run(test_detect(db));
	tap_run(test_mistral(db));
	tap_run(test_snapshot(db));
	tap_run(test_mistral_aliases(db));
	tap_run(test_mistral_nulls(db));
	tap_run(test_openrouter(db));
	tap_run(test_prices(db));
	tap_run(test_openai(db));
	tap_run(test_kinds(db));
	tap_run(test_hostile(db));
	tap_run(test_bad_ids(db));
	tap_run(test_unicode(db));
	tap_run(test_arrays(db));
	tap_run(test_prices_text(db));
	tap_run(test_bigdesc(db));
	tap_run(test_duplicates(db));
	tap_run(test_plain_once(db));
	tap_run(test_errors(db));
	tap_run(test_odd_bytes(db));
	tap_run(test_big(db));
	tap_run(test_parallel(db));
#ifdef CATALOG_TEST_PARALLEL
	catalog_parallel(0, 2);
	tap_run(test_big(db));
#endif
	tap_run(test_active_statement());
	ok(sqlite3_get_autocommit(db) == 1, "no transaction left open");
	ok(sqlite3_close(db) == SQLITE_OK, "every statement finalized");
	return done_testing();
}
