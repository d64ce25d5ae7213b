/* SPDX-License-Identifier: GPL-2.0-only */
/* panoptesd's command line. */
#ifndef PN_OPTIONS_H
#define PN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "consumer.h"
#include "endpoints.h"
#include "lifecycle.h"
#include "policy.h"
#include "version.h"

struct pn_config {
	char **policy_files;
	size_t n_policy_files;
	struct pn_watch_spec flag_watch; /* from --watch-* and --path; watch NULL if none */
	enum pn_output output;
	char node[256];
	unsigned ringbuf_mb;
	unsigned batch_us; /* pause after a wakeup that found records */
	unsigned
		coalesce_ms; /* repeats of a file's last ACCESS/MODIFY folded this long; 0 = none */
	unsigned lookup_timeout_ms; /* the consumer's wait for one name lookup */
	int nice;		    /* of the ring buffer reader (main) thread */
	const char *backend;
	const char *guard_backend; /* auto, lsm, fanotify or none */
	const char *pin_path;	   /* "" = no pins */
	bool keep_on_exit;	   /* leave the programs pinned and capturing at stop */
	bool remove_pins;	   /* --remove-pins: clear pin_path and state_dir, exit */
	const char *state_dir;	   /* API watches kept across restarts; "" = none */
	bool state_dir_set;	   /* --state-dir given: a directory it cannot use is an error */
	const char *cri_endpoint;  /* the container runtime's socket; NULL probes, "" = none */
	unsigned cri_wait_ms;	   /* a new container's first event waits this long for it */
	unsigned cri_resync_s;	   /* the runtime's containers listed again this often */
	enum pn_lifecycle_output lifecycle; /* --lifecycle: containers and images on stdout */
	bool event_labels;		    /* JSON and the native stream carry pod labels */
	char **event_annotations;	    /* pod annotation keys events carry */
	size_t n_event_annotations;
	const char *metrics_listen; /* "" = no metrics server */
	const char *probe_listen;   /* "" = /healthz and /readyz on the metrics port only */
	const char *socket_path;    /* gRPC on a unix socket; "" = none */
	const char *listen;	    /* gRPC HOST:PORT; "" = none */
	bool insecure_listen;	    /* listen came from --insecure-listen */
	const char *authz_file;	    /* roles of client certificates; NULL = all manage */
	char **api_cgroup_roots;    /* where API watches may bind: normalized, below the mount */
	size_t n_api_cgroup_roots;
	bool tls;
	const char *tls_ca_file; /* NULL = no client certificates asked */
	const char *tls_cert_file;
	const char *tls_key_file;
	size_t max_watches;
	unsigned max_cgroups;
	size_t max_request_bytes;
	size_t stream_queue;
	size_t stream_queue_bytes;
	size_t streams_queue_total_bytes;
	unsigned stream_cut_seconds;
	unsigned max_streams;
	unsigned max_streams_per_client;
	bool verbose;
	char **args; /* argv as parsed (argusd's -tls flags rewritten); strings above point here */
	size_t n_args;
};

/*
 * Parses argv. Returns 0 to run, 1 if --help/--version was served (exit 0),
 * or -EINVAL with one line in err naming the flag and the bad value.
 */
int pn_options_parse(int argc, char **argv, struct pn_config *cfg, char *err, size_t errlen);
void pn_config_clear(struct pn_config *cfg);

#endif
