/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who may do what over the gRPC APIs (docs/api.md, "Authorization"): the
 * caller of a call (which listener it came through, the verified client
 * certificate's names, the role they map to) and the two decisions every
 * service asks: may this caller make a call of this kind, and may it change
 * or delete this watch. The rules live here and nowhere else.
 */
#ifndef PN_AUTHZ_H
#define PN_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>

#include "agent_view.h"
#include "rules.h"

/* What a caller may do; ordered, each role includes the ones below it. */
enum pn_authz_role {
	PN_ROLE_NONE,	/* health checks only */
	PN_ROLE_READ,	/* also list watches, status, event streams */
	PN_ROLE_MANAGE, /* also create, update and delete watches */
};

/* How a call reached the agent. */
enum pn_authz_via {
	PN_VIA_SOCKET,	 /* the local unix socket (--socket) */
	PN_VIA_LOOPBACK, /* TCP from a loopback address */
	PN_VIA_NETWORK,	 /* TCP from anywhere else */
};

#define PN_AUTHZ_NAME_MAX 256

struct pn_authz_caller {
	enum pn_authz_via via;
	enum pn_authz_role role;
	/* The verified client certificate's name (first SAN, else CN); "" without one. */
	char identity[PN_AUTHZ_NAME_MAX];
};

/* --authz-file: certificate names -> roles. */
struct pn_authz;

/*
 * Reads an authz file (YAML: `roles: {NAME: none|read|manage}`, `default:
 * ROLE`). 0, or -EINVAL/-ENOMEM/-errno with "FILE:LINE:COL: field: ..." in err.
 */
int pn_authz_load(const char *path, struct pn_authz **out, char *err, size_t errlen);
/* The same from text (name: how messages call it). */
int pn_authz_parse(const char *name, const char *text, size_t len, struct pn_authz **out, char *err,
		   size_t errlen);
void pn_authz_free(struct pn_authz *a);

/*
 * The role of a client that presented a verified certificate with these
 * names (its CN and SANs): the first listed name's role, else the file's
 * default. Without a file (a NULL authz) every verified client manages.
 */
enum pn_authz_role pn_authz_role_of(const struct pn_authz *a, const char *const *names,
				    size_t n_names);

/*
 * The caller of a call without a client certificate: clients of the unix
 * socket and of loopback manage (the node's own processes); others reach the
 * agent without a certificate only through --insecure-listen, which says so,
 * and manage too.
 */
enum pn_authz_role pn_authz_role_uncertified(enum pn_authz_via via);

const char *pn_authz_role_name(enum pn_authz_role r);

/*
 * 0 if the caller may create or remove guards: it manages, and it came
 * through the local socket or presented a verified client certificate
 * (mutual TLS). Loopback and --insecure-listen clients without one may
 * watch, never guard. Else -EACCES with the refusal naming `call`.
 */
int pn_authz_may_guard(const struct pn_authz_caller *c, const char *call, char *msg, size_t msglen);

/* 0 if the caller's role is at least `need`, else -EACCES with the refusal naming `call`. */
int pn_authz_may_call(const struct pn_authz_caller *c, enum pn_authz_role need, const char *call,
		      char *msg, size_t msglen);

/*
 * 0 if the caller, calling through `api`, may replace or delete watch w;
 * else -EACCES with a message naming the call, the watch and its owner.
 * Operator watches (flags, policy files) are read-only over the API; a
 * watch belongs to the API that installed it; one installed by a
 * certificate belongs to that certificate's name, except for clients of
 * the unix socket (root on the node).
 */
int pn_authz_may_modify(const struct pn_authz_caller *c, enum pn_watch_api api,
			const struct pn_watch *w, const char *call, char *msg, size_t msglen);

/*
 * pn_authz_may_modify() for the watch the registry knows by `key` (its
 * key, else its name), if there is one: 0 when there is none.
 */
int pn_authz_may_modify_key(const struct pn_agent_view *agent, const struct pn_authz_caller *c,
			    enum pn_watch_api api, const char *key, const char *call, char *msg,
			    size_t msglen);

/*
 * 0 if every cgroup the targets stand for lies under one of the agent's
 * --api-cgroup-root directories, else -EACCES with a message naming the
 * target and the flag (paths relative to the cgroup2 mount, never beyond
 * it). Targets that do not resolve pass: installing them names the error.
 */
int pn_authz_may_bind(const struct pn_agent_view *agent, const struct pn_targets *t, char *msg,
		      size_t msglen);

/* Marks a watch the caller is installing as its certificate's (owner). 0 or -ENOMEM. */
int pn_authz_stamp(struct pn_watch *w, const struct pn_authz_caller *c);

#endif
