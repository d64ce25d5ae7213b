/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Watch subjects and the rule engine (argus semantics, see docs/design.md
 * "Events and rules"). Pure logic: no I/O, no kernel, no allocation while
 * matching.
 */
#ifndef PN_RULES_H
#define PN_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "panoptes_event.h"
#include "text.h"

struct pn_tag {
	char *key;
	char *value;
};

struct pn_subject {
	char **paths; /* normalized absolute paths; followMove rewrites them in place */
	size_t n_paths;
	uint32_t events; /* PN_* bits the user asked for (expanded: close, move, all) */
	char **ignore;	 /* path component names to skip below a subject path */
	size_t n_ignore;
	bool only_dir;
	bool recursive;
	bool follow_move;
	int max_depth; /* with recursive: deepest level below a path (1 = children); 0 = unlimited */
	struct pn_tag *tags;
	size_t n_tags;
	char *tags_text; /* "k=v,k=v", keys sorted; built by pn_subject_finish() */
};

/*
 * Which API installed a watch. Zero is the operator (flags, policy files),
 * so a watch nobody marked is read-only over the gRPC APIs.
 */
enum pn_watch_api {
	PN_WATCH_OPERATOR = 0,
	PN_WATCH_NATIVE, /* panoptes.v1.Agent */
	PN_WATCH_ARGUS,	 /* argus.Argusd */
};

struct pn_selector; /* selector.h */

struct pn_watch {
	char *name;
	char *key;    /* identity in the registry; NULL: the name (argus keys by node and pids) */
	char *origin; /* who installed it: "flags", "api", "argus" or a policy file; may be NULL */
	enum pn_watch_api api;
	char *owner;	  /* the verified client certificate that installed it; NULL: none */
	char *pod;	  /* {pod}; may be empty */
	char *log_format; /* NULL: the default format */
	struct pn_subject *subjects;
	size_t n_subjects;
	struct pn_selector *selector; /* NULL: every pod and process of the targets */
};

/*
 * A kernel record decoded and normalized by the consumer. For a move, `path`
 * is the new name and `old_path` the old one; otherwise old_path is NULL.
 */
/*
 * Event flags of userspace's own, beside the kernel's PN_REC_* in the low
 * byte: a name passed as text that could not be resolved as the kernel did
 * (no process of the cgroup left to look through, or the directory gone):
 * matched by its text, and flagged so that no one takes it for more.
 */
#define PN_EV_UNRESOLVED     0x100u /* path */
#define PN_EV_OLD_UNRESOLVED 0x200u /* old path (moves) */
/*
 * With PN_EV_UNRESOLVED: no process was left to look through at all, so a
 * symlink in the text may have led anywhere; like PN_REC_MULTILINK, the
 * event goes to every subject that wants it. (A directory gone since is
 * matched by its text: a tree being removed is no reason to tell every
 * watch of the cgroup about each of its files.)
 */
#define PN_EV_ANYWHERE 0x400u

struct pn_event {
	uint64_t ts_ns; /* CLOCK_MONOTONIC */
	uint64_t cgroup_id;
	uint64_t watch_cgroup_id;
	int64_t result;
	uint32_t pid, tgid, uid, gid;
	uint32_t ops;	 /* PN_* kernel operations (see panoptes_event.h) */
	uint32_t cookie; /* moves */
	uint32_t flags;	 /* PN_REC_*, PN_EV_* */
	uint32_t syscall_nr;
	char comm[PN_COMM_LEN];
	const char *path;
	const char *old_path;
	/*
	 * vfs backend: the name the process used, when it differs from `path`
	 * (the file reached, through symlinks); NULL otherwise.
	 */
	const char *named_path;
};

/* One reported event: what a log line or JSON object is made from. */
struct pn_match {
	uint32_t event; /* exactly one PN_* event bit (never PN_ISDIR) */
	bool is_dir;
	uint32_t cookie; /* moves: same value on MOVED_FROM and MOVED_TO */
	const struct pn_watch *watch;
	const struct pn_subject *subject;
	const char *full_path;	/* the object's path */
	size_t dir_len;		/* {path} is full_path[0, dir_len) */
	const char *file;	/* {file}: "" for an event on the subject path itself */
	const char *other_path; /* moves: the other name of the pair; NULL otherwise */
};

typedef void (*pn_match_fn)(const struct pn_event *ev, const struct pn_match *m, void *arg);

/*
 * Matches one event against every subject of a watch and calls `fn` once per
 * reported event, in the order inotify would queue them: for an open,
 * CREATE, MODIFY (O_TRUNC), OPEN; for a move, MOVED_FROM, MOVED_TO, MOVE_SELF
 * (an exchange reports both pairs). A subject reports an event at most once
 * even if several of its paths cover it (the longest covering path wins).
 * Subjects with follow_move rewrite their paths when the path or one of its
 * ancestors is moved. Returns the number of calls made.
 */
size_t pn_watch_match(struct pn_watch *w, const struct pn_event *ev, pn_match_fn fn, void *arg);

/* Union of kernel operations the watch's subjects need (pn_events_to_kernel_ops). */
uint32_t pn_watch_kernel_ops(const struct pn_watch *w);

/* The parts of a subject a rule can refuse; each entry point spells them its own way. */
enum pn_subject_field {
	PN_SUBJECT_PATHS,
	PN_SUBJECT_IGNORE,
	PN_SUBJECT_MAX_DEPTH,
	PN_SUBJECT_RECURSIVE,
	PN_SUBJECT_TAGS,
	PN_SUBJECT_N_FIELDS,
};

/* The rule a subject breaks. */
enum pn_subject_rule {
	PN_SUBJECT_SOUND,     /* nothing is wrong */
	PN_SUBJECT_REQUIRED,  /* no paths at all */
	PN_SUBJECT_EMPTY,     /* an empty path, ignore name or tag key */
	PN_SUBJECT_RELATIVE,  /* a path that is not absolute */
	PN_SUBJECT_TOO_LONG,  /* a path the kernel could never report */
	PN_SUBJECT_SLASH,     /* an ignore name with '/': it is matched against one component */
	PN_SUBJECT_NEGATIVE,  /* maxDepth < 0 */
	PN_SUBJECT_NEEDS,     /* maxDepth without recursive: it would silently mean nothing */
	PN_SUBJECT_DUPLICATE, /* a tag key given twice: which value is meant? */
	PN_SUBJECT_TEXT,      /* not UTF-8, or a control byte (pn_text_check) */
};

/*
 * What is wrong, as data, so that each entry point names the field in its
 * own words (a policy file its line, the API its field path, the command
 * line its flag) and the rule itself lives in one place.
 */
struct pn_subject_fault {
	enum pn_subject_field field;
	enum pn_subject_rule rule;
	enum pn_subject_field needs; /* PN_SUBJECT_NEEDS: the field that must be set too */
	size_t index;		     /* paths[index], ignore[index]; 0 otherwise */
	bool indexed;		     /* whether index means anything */
	const char *value;	     /* the offending text, borrowed from the subject; or NULL */
	int number;		     /* PN_SUBJECT_NEGATIVE: the value given */
	struct pn_text_fault text;   /* PN_SUBJECT_TEXT; value: the tag key whose value it is */
};

/* How an entry point names a subject's fields. */
struct pn_subject_spelling {
	const char *name[PN_SUBJECT_N_FIELDS];
	bool indexed; /* "paths[1]" in files and messages; a repeated flag has no index */
};

/* The policy file's and the API's names (maxDepth), and the command line's (--max-depth). */
extern const struct pn_subject_spelling pn_subject_keys;
extern const struct pn_subject_spelling pn_subject_flags;

/*
 * The one check of a subject's invariants that every entry point (flags,
 * policy files, argus, the native API, panoptesctl) calls: at least one path,
 * each non-empty, absolute and short enough; ignore names that are single
 * non-empty components; maxDepth >= 0 and only with recursive; tag keys
 * non-empty and unique; every path, name, key and value text by
 * pn_text_check()'s rule. Normalizes the paths in place and sorts the tags by
 * key (as pn_subject_finish does). Fills *f either way: 0 and
 * PN_SUBJECT_SOUND, or -EINVAL and what is wrong.
 */
int pn_subject_check(struct pn_subject *s, struct pn_subject_fault *f);

/*
 * The fault in one line, "FIELD: what is wrong", the field spelled by `sp`
 * below `prefix` (NULL or "" for none): "watch.subjects[0].paths[1]: path
 * must be absolute: \"etc\"", "--max-depth: only meaningful with --recursive".
 * The subject the fault was found in must still be alive. Returns snprintf's count.
 */
int pn_subject_fault_format(const struct pn_subject_fault *f, const struct pn_subject_spelling *sp,
			    const char *prefix, char *buf, size_t len);

/* Sorts tags by key and builds tags_text; call after pn_subject_check(). 0 or -ENOMEM. */
int pn_subject_finish(struct pn_subject *s);

/* Frees everything a watch owns, then the struct itself. NULL-safe. */
void pn_watch_free(struct pn_watch *w);

/* Frees what a subject owns (not the struct). NULL-safe. */
void pn_subject_clear(struct pn_subject *s);

#endif
