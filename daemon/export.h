/* export.h: the registry's decisions as versioned JSON (issue 11 item 4): the document, its pure parser (export_parse.c) and writer (export_write.c). */
#ifndef MODELREG_EXPORT_H
#define MODELREG_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "settings.h"

/* The format this modelregd writes and the newest it reads (doc/export.md). */
#define EXPORT_FORMAT		"modelreg-export"
#define EXPORT_VERSION		1
/* The largest file IMPORT takes, and the deepest nesting the parser follows. */
#define EXPORT_MAX_BYTES	(64u * 1024 * 1024)
#define EXPORT_MAX_DEPTH	16

/*
 * One synced model's decisions. Strings are NUL-terminated and owned by
 * the document. status_source is "seed", "manual" or "auto"; reason is
 * why the daemon set the status (e.g. "cap", "zdr_held") or NULL. A
 * parameter is set when its bit is in params_set; enforced is a subset.
 */
struct export_model {
	char		 *id;
	int		  active;
	char		  source[8];
	char		 *reason;
	char		 *label;
	unsigned	  params_set;
	double		  params[SP_COUNT];
	unsigned	  enforced;
	char		**aliases;	/* organisation aliases */
	int		  naliases;
	char		**tags;
	int		  ntags;
};

struct export_collection {
	char		 *name;
	char		**models;
	int		  nmodels;
};

/* A cap on a model id (model set, key NULL) or on a key (key set, model NULL). */
struct export_cap {
	char		 *model;
	char		 *key;
	double		  amount;
	char		  period[8];	/* day, week, month, window */
	int64_t		  window;	/* seconds, for window; else 0 */
	int		  warn;
};

/* A key's name and what it may use, never its secret or digest. */
struct export_key {
	char		 *name;
	int		  all;
	char		 *collection;	/* NULL: none */
	char		**models;
	int		  nmodels;
	int64_t		  expires;	/* unix time, 0: never */
	char		 *note;
};

struct export_doc {
	int			  version;
	char			 *default_model;	/* NULL: none */
	struct export_model	 *models;
	int			  nmodels;
	struct export_collection *collections;
	int			  ncollections;
	struct export_cap	 *caps;
	int			  ncaps;
	struct export_key	 *keys;
	int			  nkeys;
};

/*
 * Parse and validate len bytes as an export (doc/export.md). A pure
 * function: no database, no globals. Everything IMPORT refuses for the
 * file itself is refused here: bad JSON or trailing bytes, a newer
 * version, an unknown or duplicate member, a wrong type, a value out of
 * its rules, a duplicate id or name, a default that is not an active
 * model of the file, a collection or key naming a model or collection
 * the file does not have. 0 with *doc filled (free it with export_free),
 * or -1 with err saying where ("line 12: models[3].status: ...") and
 * *doc empty.
 */
int	 export_parse(const char *data, size_t len, struct export_doc *doc,
	    char *err, size_t errlen);
void	 export_free(struct export_doc *);

/*
 * Write doc as the canonical text: two-space indentation, one model,
 * collection, cap or key per line, members in a fixed order, lists in
 * the document's order (the daemon's export sorts them). Parsing the
 * text gives doc back. 0, or -1 when memory runs out.
 */
int	 export_write(struct buf *, const struct export_doc *);
/* One model's object as that canonical JSON, one line without the LF (for a history row). */
int	 export_model_json(struct buf *, const struct export_model *);

/*
 * doc's model of that id (a binary search: its models sorted by id, as
 * the daemon's export is), collection or key of that name, and cap on
 * c's model or key; NULL when it has none.
 */
struct export_model *export_find_model(const struct export_doc *,
	    const char *id);
struct export_collection *export_find_collection(const struct export_doc *,
	    const char *name);
struct export_key *export_find_key(const struct export_doc *, const char *name);
struct export_cap *export_find_cap(const struct export_doc *,
	    const struct export_cap *c);

/* A status word as the file spells it: "active", "inactive". */
const char *export_status_name(int active);

#endif
