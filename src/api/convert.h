/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Protobuf messages <-> watches (argus and panoptes.v1). Pure mapping: no
 * I/O, no gRPC calls, no registry. Every error message names the request
 * field and the bad value.
 */
#ifndef PN_API_CONVERT_H
#define PN_API_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "argus.pb-c.h"
#include "guard.h"
#include "janus.pb-c.h"
#include "panoptes/v1/agent.pb-c.h"
#include "policy.h"
#include "watch_view.h"

/*
 * argus: an ArgusdConfig as a watch spec. The key (node, then pids, else
 * container ids, sorted) is what CreateWatch updates in place and
 * DestroyWatch removes, as argusd did. `node` stands in for an empty
 * nodeName. -EINVAL with the field named on bad input.
 */
int pn_argus_key(const Argus__ArgusdConfig *c, const char *node, char *out, size_t outlen,
		 char *err, size_t errlen);
int pn_argus_to_spec(const Argus__ArgusdConfig *c, const char *node, struct pn_watch_spec *out,
		     char *err, size_t errlen);

/*
 * janus: a JanusdConfig as a guard spec, keyed "janus/<node>/<pod>" (`node`
 * stands in for an empty nodeName): CreateGuard replaces the guard of the
 * same pod in place, DestroyGuard removes it whatever pids it is given, so a
 * controller that destroys with another pod's pids cannot remove the wrong
 * guard. Paths absolute (normalized), events open/access/all (none: all),
 * at least one subject, a pid or a cid. -EINVAL with the field named.
 */
int pn_janus_key(const Janus__JanusdConfig *c, const char *node, char *out, size_t outlen,
		 char *err, size_t errlen);
int pn_janus_to_spec(const Janus__JanusdConfig *c, const char *node, struct pn_guard_spec *out,
		     char *err, size_t errlen);

/*
 * native: one Subject as a checked pn_subject, as CreateWatch and
 * UpdateWatch map each of theirs; panoptesctl runs it too before it sends.
 * `field` ("watch.subjects[0]") prefixes what err names. -EINVAL on bad
 * input; *f says which subject rule was broken (PN_SUBJECT_SOUND: none, the
 * input was refused before the rules, e.g. an unknown event type). s is the
 * caller's to clear (pn_subject_clear) whatever the result: the fault
 * borrows its value from it.
 */
int pn_api_subject_map(const Panoptes__V1__Subject *m, const char *field, struct pn_subject *s,
		       struct pn_subject_fault *f, char *err, size_t errlen);

/*
 * native: the selector fields of Targets (namespaces, container_names,
 * images, pod_selector) as a checked selector; *out NULL when none is
 * given. `field` ("watch.targets") prefixes what err names. panoptesctl
 * runs it too, to print what it sends in kubectl's syntax.
 */
struct pn_selector;
int pn_api_selector_map(const Panoptes__V1__Targets *t, const char *field, struct pn_selector **out,
			char *err, size_t errlen);

/* native: a Watch as a spec (origin "api"); -EINVAL with the field named on bad input. */
int pn_api_watch_to_spec(const Panoptes__V1__Watch *w, struct pn_watch_spec *out, char *err,
			 size_t errlen);

/*
 * A registry view as a WatchInfo, every part heap-allocated: free it with
 * protobuf_c_message_free_unpacked(&info->base, NULL). NULL when out of memory.
 */
Panoptes__V1__WatchInfo *pn_api_watch_info_new(const struct pn_watch_view *v);

/*
 * native: a Guard as a guard spec, keyed by its name (no '/': janus guards
 * are janus/NODE/POD); targets pids, cgroups or containers, no selectors
 * yet. -EINVAL with the field named ("guard.subjects[0].deny[1]: ...").
 */
int pn_api_guard_to_spec(const Panoptes__V1__Guard *ag, struct pn_guard_spec *out, char *err,
			 size_t errlen);
/* A guard shown back (ListGuards, CreateGuard's answer), or NULL without memory. */
Panoptes__V1__GuardInfo *pn_api_guard_info_new(const struct pn_guard *g,
					       const struct pn_targets *targets, const int *pids,
					       size_t n_pids);

#endif
