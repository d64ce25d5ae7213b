/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * panoptesctl: the command-line client of panoptesd's gRPC API, on the same
 * gRPC core + protobuf-c stack as the server. What the subcommands share:
 * exit codes, error printers, the flag parser and the calls.
 */
#ifndef PN_CTL_H
#define PN_CTL_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

#include "endpoints.h"
#include "event_type.h"
#include "panoptes/v1/agent.pb-c.h"
#include "status.h"
#include "version.h"

/* panoptesd's own default listener: the unix socket, for root on the node. */
#define PN_CTL_DEFAULT_SERVER "unix:" PN_API_DEFAULT_SOCKET

/* Exit codes are part of the interface: scripts branch on them (docs/panoptesctl.md). */
enum ctl_exit {
	CTL_DONE = -1, /* internal: help or version printed, stop and exit 0 */
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,	  /* the server answered with a non-OK status */
	CTL_EXIT_USAGE = 2,	  /* bad command line; nothing was sent */
	CTL_EXIT_UNREACHABLE = 3, /* no connection to the server */
};

enum ctl_output {
	CTL_OUTPUT_TEXT,
	CTL_OUTPUT_JSON,
};

struct ctl {
	/* global flags */
	const char *server;
	double timeout; /* seconds, for unary calls */
	bool tls;
	const char *tls_ca, *tls_cert, *tls_key;

	/* the connection, made on first use by ctl_connect() */
	bool grpc_up;
	grpc_channel *channel;
	grpc_completion_queue *cq;
	/* set from another thread (events' signal thread): stop waiting for a connection */
	atomic_bool stop;
};

/* ------------------------------------------------------------ messages */

/*
 * "panoptesctl: " + message + newline on stderr. Control bytes are escaped so
 * the message stays one line whatever a server or a user put in it.
 */
__attribute__((format(printf, 1, 2))) void ctl_err(const char *fmt, ...);
/* ctl_err(), then CTL_EXIT_USAGE. */
__attribute__((format(printf, 1, 2))) int ctl_usage_err(const char *fmt, ...);
/* "out of memory", then CTL_EXIT_FAILED. */
int ctl_nomem(void);
/*
 * Writes s for a terminal: control characters (C0, DEL, C1) and bytes that
 * are not UTF-8 escaped (\n, \t, \xNN), so one line whatever it holds and
 * nothing a terminal would act on.
 */
void ctl_put_escaped(FILE *f, const char *s);
/* Stdout flushed and not in error, else the error printed and CTL_EXIT_FAILED. */
int ctl_flush_stdout(void);

/* ------------------------------------------------------------ flags */

/* What ctl_next() returns besides a flag id (> 0). */
enum {
	CTL_END = 0,	     /* no more arguments */
	CTL_POSITIONAL = -1, /* *val is a positional argument */
	CTL_BAD = -2,	     /* a usage error, already printed */
	CTL_HELP = -3,	     /* --help / -h */
	CTL_VERSION = -4,    /* --version */
};

struct ctl_opt {
	const char *name; /* without dashes; "-name", "--name", "--name=V" all work */
	int id;		  /* > 0 */
	bool has_arg;
};

struct ctl_args {
	struct ctl *ctl;
	int argc;
	char **argv;
	int i;
	const struct ctl_opt *opts; /* the command's flags, ended by a NULL name; may be NULL */
	const char *cmd;	    /* "panoptesctl watch create", for messages */
	const char *usage;	    /* printed on --help */
	const char *flag;	    /* "--name" of the flag ctl_next() returned last */
	bool flags_done;	    /* after "--" */
};

/*
 * The next flag or positional argument. Global flags (--server, --timeout,
 * the TLS flags) are accepted anywhere and applied to a->ctl here.
 */
int ctl_next(struct ctl_args *a, const char **val);
/*
 * The exit code for a ctl_next() result the command does not handle itself:
 * help and version print and return CTL_DONE, a stray positional is a usage
 * error.
 */
int ctl_args_stop(struct ctl_args *a, int id, const char *val);

/* Whole numbers in [min, max]; the error names a->flag and the value. */
int ctl_parse_long(const struct ctl_args *a, const char *s, long long min, long long max,
		   long long *out);
/* text|json */
int ctl_parse_output(const struct ctl_args *a, const char *s, enum ctl_output *out);
/* A command's one positional NAME and no flags (delete): 0 to go on, else its exit code. */
int ctl_name_only(struct ctl_args *a, const char **name);
/* The flags of a command whose only option is --output: 0 to go on, else its exit code. */
int ctl_output_flag_only(struct ctl_args *a, enum ctl_output *out);
/* Comma-separated event names (argus or enum) appended to a deduplicated EventType list. */
int ctl_parse_events(const struct ctl_args *a, const char *s, Panoptes__V1__EventType **types,
		     size_t *n);

/* Appends val to a realloc'ed array: 0 or -ENOMEM. */
#define ctl_push(arr, n, val)                                                                      \
	({                                                                                         \
		typeof(arr) nv_ = realloc((arr), ((n) + 1) * sizeof(*(arr)));                      \
		int r_ = -ENOMEM;                                                                  \
		if (nv_) {                                                                         \
			(arr) = nv_;                                                               \
			(arr)[(n)++] = (val);                                                      \
			r_ = 0;                                                                    \
		}                                                                                  \
		r_;                                                                                \
	})

/* ------------------------------------------------------------ selectors (selector.c) */

/* The selector flags' ids: the same in every command that takes them (above its own). */
enum {
	CTL_OPT_NAMESPACE = 100,
	CTL_OPT_CONTAINER_NAME,
	CTL_OPT_IMAGE,
	CTL_OPT_SELECTOR,
};
#define CTL_SELECTOR_OPTS                                                                          \
	{ "watch-namespace", CTL_OPT_NAMESPACE, true },                                            \
		{ "watch-container-name", CTL_OPT_CONTAINER_NAME, true },                          \
		{ "watch-image", CTL_OPT_IMAGE, true },                                            \
	{                                                                                          \
		"watch-selector", CTL_OPT_SELECTOR, true                                           \
	}
#define CTL_SELECTOR_USAGE                                                                         \
	"  --watch-namespace NS     pods of namespace NS, a fnmatch(3) pattern (repeatable)\n"     \
	"  --watch-container-name N containers named N, a pattern (repeatable)\n"                  \
	"  --watch-image IMAGE      containers of IMAGE as the pod spec names it, a pattern\n"     \
	"                           (repeatable)\n"                                                \
	"  --watch-selector SEL     pods whose labels match SEL, in kubectl's syntax:\n"           \
	"                           'app=web,tier in (a,b),!canary' (repeatable: all hold)\n"

struct pn_label_req; /* selector.h */

/* --watch-selector's requirements, parsed; the LabelSelector sent points into them. */
struct ctl_selector {
	struct pn_label_req *reqs;
	size_t n_reqs;
	Panoptes__V1__LabelSelector pod_selector;
	Panoptes__V1__LabelSelectorRequirement *req_msgs;
	Panoptes__V1__LabelSelectorRequirement **req_ptrs;
};

/* A CTL_OPT_* flag into t (--watch-selector into s): 0, or the exit code. */
int ctl_selector_flag(const struct ctl_args *a, struct ctl_selector *s, Panoptes__V1__Targets *t,
		      int id, char *val);
/* After the flags: --watch-selector's requirements as t's pod_selector. 0 or the exit code. */
int ctl_selector_finish(struct ctl_selector *s, Panoptes__V1__Targets *t);
/* Frees s and t's selector lists (their strings are argv's). */
void ctl_selector_clear(struct ctl_selector *s, Panoptes__V1__Targets *t);
/* The selector of t as the flags that make it, each through put. */
void ctl_selector_print(const Panoptes__V1__Targets *t,
			void (*put)(const char *flag, const char *val));
struct json;
/* ...and as JSON keys of the targets object. */
void ctl_selector_json(struct json *j, const Panoptes__V1__Targets *t);

/* ------------------------------------------------------------ calls */

/* Connects once (credentials, channel, queue); 0 or an exit code, error printed. */
int ctl_connect(struct ctl *ctl);
void ctl_disconnect(struct ctl *ctl);

/*
 * One unary call with the --timeout deadline. On success *resp holds the
 * answer (free it with protobuf_c_message_free_unpacked()); otherwise the
 * error is printed and the exit code returned.
 */
int ctl_unary(struct ctl *ctl, const char *method, const ProtobufCMessage *req,
	      const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp);

/* A server-streaming call, read one message at a time. */
struct ctl_stream {
	struct ctl *ctl;
	const char *method;
	grpc_call *call;	/* NULL if ctl->stop came before a connection */
	bool connected;		/* the channel was ready when the call started */
	grpc_byte_buffer *send; /* the request, until the first batch is done */
	bool open_pending;	/* that batch is not plucked yet */
	grpc_metadata_array initial_md, trailing_md;
	grpc_status_code status;
	grpc_slice details;
	const char *error_string;
};

/*
 * Connects within --timeout and sends the request. 0 or an exit code, error
 * printed; close the stream either way.
 */
int ctl_stream_open(struct ctl *ctl, struct ctl_stream *s, const char *method,
		    const ProtobufCMessage *req);
/*
 * The next message in *msg (free it), or NULL at the end of the stream: 0.
 * An undecodable message is printed as an error: CTL_EXIT_FAILED.
 */
int ctl_stream_next(struct ctl_stream *s, const ProtobufCMessageDescriptor *desc,
		    ProtobufCMessage **msg);
/* Ends the call early; safe from another thread while ctl_stream_next() waits. */
void ctl_stream_cancel(struct ctl_stream *s);
/*
 * Reads the final status and frees the call. Returns the exit code; with
 * `cancelled` (the client ended it) a CANCELLED status is success.
 */
int ctl_stream_close(struct ctl_stream *s, bool cancelled);

/* SIGINT and SIGTERM end a stream (stopper.c). */
struct ctl_stopper {
	struct ctl *ctl;
	pthread_t thread;
	sigset_t signals;
	pthread_mutex_t lock;	   /* PTHREAD_MUTEX_INITIALIZER */
	struct ctl_stream *stream; /* the call a signal cancels, once there is one */
	bool stopped;
	bool running;
};

/* Before any gRPC thread exists: they inherit the blocked set. 0 or an exit code. */
int ctl_stopper_start(struct ctl_stopper *st);
/* Sets the call a signal cancels (NULL: none); true if a signal came already. */
bool ctl_stopper_watch(struct ctl_stopper *st, struct ctl_stream *s);
void ctl_stopper_stop(struct ctl_stopper *st);
/*
 * Opens a server stream and prints each message of type desc with print()
 * (0 or an exit code), flushing stdout after each, until the stream ends,
 * `count` messages came (0: no limit), a write fails or a signal comes
 * (then exit 0). Returns the exit code.
 */
int ctl_stream_print(struct ctl *ctl, const char *method, const ProtobufCMessage *req,
		     const ProtobufCMessageDescriptor *desc,
		     int (*print)(const ProtobufCMessage *m, void *arg), void *arg,
		     long long count);

/* ------------------------------------------------------------ commands */

/* A table of subcommands, as bpftool has: the word, what runs it, its help. */
struct ctl_cmd {
	const char *name;
	int (*run)(struct ctl_args *a);
	const char *path;  /* "panoptesctl watch create": for messages */
	const char *usage; /* its --help */
};

/*
 * Reads the next word and runs the command of that name from cmds (ended by
 * a NULL name), with a->opts, a->cmd and a->usage set for it. Returns the
 * exit code.
 */
int ctl_dispatch(struct ctl_args *a, const struct ctl_cmd *cmds);

extern const char ctl_health_usage[], ctl_status_usage[], ctl_watch_usage[], ctl_events_usage[],
	ctl_lifecycle_usage[], ctl_guard_usage[];

int ctl_cmd_health(struct ctl_args *a);
int ctl_cmd_status(struct ctl_args *a);
int ctl_cmd_watch(struct ctl_args *a);
int ctl_cmd_events(struct ctl_args *a);
int ctl_cmd_lifecycle(struct ctl_args *a);
int ctl_cmd_guard(struct ctl_args *a);

#endif
