// SPDX-License-Identifier: GPL-2.0-only
#include "cri.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

#include "client.h"
#include "cri/runtime.pb-c.h"
#include "log.h"
#include "status.h"

#define CALL_MS	     2000  /* one call to the runtime: it is on this node */
#define LIST_MS	     10000 /* a whole node's containers */
#define MAX_ENTRIES  8192  /* far more containers than a node runs */
#define MAX_REPLY_MB 16	   /* kubelet's own limit for CRI replies */
/*
 * A container's cgroup appears while the runtime starts it (CREATED, not yet
 * RUNNING): asked again after 100 ms, doubling, 7 times (12.7 s in all),
 * until it runs, so that --lifecycle says it started without a resync.
 */
#define RECHECK_FIRST_MS 100
#define RECHECKS	 7

#define SVC "/runtime.v1.RuntimeService/"

enum state { E_PENDING, E_KNOWN, E_MISSING };

struct entry {
	char id[72];
	enum state state;
	bool listed;  /* seen by the resync under way */
	bool counted; /* in its image's count (lifecycle) */
	bool waited;  /* an event waited for it (only a container's first event does) */
	bool noted;   /* asked about as its cgroup appeared (pn_cri_expect) */
	/*
	 * Its cgroup was removed: stopped, never counted in again (the runtime
	 * may list it as running a moment longer), dropped when no longer listed.
	 */
	bool gone;
	unsigned int rechecks; /* asks again of a noted one not running yet */
	uint64_t recheck_ns;   /* CLOCK_MONOTONIC of the next one; 0: none */
	char *image_norm;      /* pn_image_normalize() of w.image, while counted */
	struct pn_workload w;
};

struct image {
	char *name; /* normalized */
	size_t n;   /* containers of it the runtime lists */
};

struct pn_cri {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t wake;	 /* the thread: a container to ask about, or stop */
	pthread_cond_t answered; /* the consumer: an entry left E_PENDING */
	bool stop;
	char *endpoint; /* as given; NULL probes */
	unsigned int wait_ms, resync_s;
	struct entry *v;
	size_t n, cap;
	struct image *images;
	size_t n_images;
	bool listed_once; /* a whole list was taken: later containers are not the snapshot */
	/* what the agent before said was running (--state-dir): reconciled at the first list */
	struct pn_lifecycle *previous;
	size_t n_previous;
	void (*on_lifecycle)(void *arg, const struct pn_lifecycle *lc);
	void *lifecycle_arg;
	char **annotation_keys; /* the pod annotations events carry */
	size_t n_annotation_keys;
	struct pn_cri_stats stats;
	/* the thread's own */
	grpc_channel *ch;
	grpc_completion_queue *cq;
	char path[112];
	bool said_down;
};

static const char *const probed[] = { PN_CRI_PROBED };

static const char *path_of_endpoint(const char *endpoint)
{
	return strncmp(endpoint, "unix://", 7) == 0 ? endpoint + 7 : endpoint;
}

int pn_cri_endpoint_check(const char *endpoint, char *err, size_t errlen)
{
	const char *path = path_of_endpoint(endpoint);

	if (path[0] != '/') {
		snprintf(err, errlen,
			 "\"%s\": a unix socket, as unix:///path or /path (the runtime "
			 "runs on this node)",
			 endpoint);
		return -EINVAL;
	}
	/* sockaddr_un's sun_path, and the stats' copy */
	if (strlen(path) >= 108) {
		snprintf(err, errlen, "\"%s\": a socket path is at most 107 bytes", endpoint);
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------ entries (under mu) */

static struct entry *find(struct pn_cri *cri, const char *id)
{
	for (size_t i = 0; i < cri->n; i++)
		if (strcmp(cri->v[i].id, id) == 0)
			return &cri->v[i];
	return NULL;
}

static void drop_at(struct pn_cri *cri, size_t i)
{
	free(cri->v[i].image_norm);
	pn_workload_clear(&cri->v[i].w);
	cri->v[i] = cri->v[--cri->n];
}

static struct entry *add(struct pn_cri *cri, const char *id, enum state st)
{
	struct entry *e;

	if (strlen(id) >= sizeof(e->id))
		return NULL;
	if (cri->n == cri->cap) {
		size_t cap = cri->cap ? cri->cap * 2 : 64;

		if (cri->cap >= MAX_ENTRIES) {
			/* what the runtime did not know goes first; what it knows is listed again */
			for (size_t i = cri->n; i-- > 0;)
				if (cri->v[i].state == E_MISSING)
					drop_at(cri, i);
			if (cri->n == cri->cap)
				return NULL;
		} else {
			e = realloc(cri->v, cap * sizeof(*e));
			if (!e)
				return NULL;
			cri->v = e;
			cri->cap = cap;
		}
	}
	e = &cri->v[cri->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->state = st;
	return e;
}

/* Entries still waiting when the runtime went away: their askers stop waiting. */
static void drop_pending(struct pn_cri *cri)
{
	for (size_t i = cri->n; i-- > 0;)
		if (cri->v[i].state == E_PENDING)
			drop_at(cri, i);
	pthread_cond_broadcast(&cri->answered);
}

static void count_known(struct pn_cri *cri)
{
	uint64_t k = 0;

	/* a gone one is kept for late events only: it no longer runs here */
	for (size_t i = 0; i < cri->n; i++)
		k += cri->v[i].state == E_KNOWN && !cri->v[i].gone;
	cri->stats.containers = k;
}

/* ------------------------------------------------------------ lifecycle (under mu) */

static struct image *image_find(struct pn_cri *cri, const char *name)
{
	for (size_t i = 0; i < cri->n_images; i++)
		if (strcmp(cri->images[i].name, name) == 0)
			return &cri->images[i];
	return NULL;
}

static int64_t realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static struct pn_lifecycle record_of(struct pn_cri *cri, enum pn_lifecycle_kind kind,
				     const struct entry *e)
{
	return (struct pn_lifecycle){
		.kind = kind,
		.realtime_ns = realtime_ns(),
		.snapshot = !cri->listed_once,
		.image = e->image_norm,
		.image_spec = e->w.image,
		.image_id = e->w.image_id,
		.namespace = e->w.namespace,
		.pod = e->w.pod,
		.container_name = e->w.container,
		.container_id = e->id,
	};
}

static void lifecycle(struct pn_cri *cri, enum pn_lifecycle_kind kind, const struct entry *e)
{
	struct pn_lifecycle lc;

	if (!cri->on_lifecycle)
		return;
	lc = record_of(cri, kind, e);
	cri->on_lifecycle(cri->lifecycle_arg, &lc);
}

void pn_cri_snapshot(struct pn_cri *cri, void (*fn)(void *arg, const struct pn_lifecycle *lc),
		     void (*done)(void *arg), void *arg)
{
	struct pn_lifecycle lc;

	pthread_mutex_lock(&cri->mu);
	for (size_t i = 0; i < cri->n; i++) {
		const struct entry *e = &cri->v[i];
		bool told = false;

		if (!e->counted)
			continue;
		lc = record_of(cri, PN_LC_CONTAINER_STARTED, e);
		lc.snapshot = true;
		fn(arg, &lc);
		/* its image with the first container of it, as count_in() tells it */
		for (size_t j = 0; j < i && !told; j++)
			told = cri->v[j].counted && !strcmp(cri->v[j].image_norm, e->image_norm);
		if (told)
			continue;
		lc.kind = PN_LC_IMAGE_ADDED;
		fn(arg, &lc);
	}
	done(arg);
	pthread_mutex_unlock(&cri->mu);
}

int pn_cri_running(struct pn_cri *cri, bool (*keep)(const void *arg, const struct pn_workload *w),
		   const void *arg, char ***ids, size_t *n)
{
	char **v = NULL;
	size_t k = 0;
	int e = 0;

	*ids = NULL;
	*n = 0;
	if (!cri)
		return -ENODEV;
	pthread_mutex_lock(&cri->mu);
	/* before a whole list, or without the runtime, "none" would not be true */
	if (!cri->stats.connected || !cri->listed_once)
		e = -ENOTCONN;
	for (size_t i = 0; !e && i < cri->n; i++) {
		const struct entry *en = &cri->v[i];
		char **nv;

		if (!en->counted || !keep(arg, &en->w))
			continue;
		nv = realloc(v, (k + 1) * sizeof(*nv));
		if (!nv || !(nv[k] = strdup(en->id))) {
			v = nv ? nv : v;
			e = -ENOMEM;
			break;
		}
		v = nv;
		k++;
	}
	pthread_mutex_unlock(&cri->mu);
	if (e) {
		while (k)
			free(v[--k]);
		free(v);
		return e;
	}
	*ids = v;
	*n = k;
	return 0;
}

/* A container the runtime lists, newly known: counted in its image (one + per image). */
static void count_in(struct pn_cri *cri, struct entry *e)
{
	char norm[1024];
	struct image *im, *v;

	if (e->counted || e->state != E_KNOWN || e->gone)
		return;
	pn_image_normalize(e->w.image ? e->w.image : "", norm, sizeof(norm));
	im = image_find(cri, norm);
	if (!im) {
		v = realloc(cri->images, (cri->n_images + 1) * sizeof(*v));
		if (!v)
			return;
		cri->images = v;
		im = &v[cri->n_images];
		im->name = strdup(norm);
		im->n = 0;
		if (!im->name)
			return;
		cri->n_images++;
	}
	e->image_norm = strdup(norm);
	if (!e->image_norm) {
		if (!im->n)
			*im = cri->images[--cri->n_images];
		return;
	}
	e->counted = true;
	lifecycle(cri, PN_LC_CONTAINER_STARTED, e);
	if (im->n++ == 0)
		lifecycle(cri, PN_LC_IMAGE_ADDED, e);
	cri->stats.images = cri->n_images;
}

/*
 * After the first whole list: what the agent before said was running and
 * the runtime no longer lists went while no agent ran. Stopped, and its
 * image removed unless a container of it runs now, each once, reconciled.
 */
static void reconcile(struct pn_cri *cri)
{
	for (size_t i = 0; i < cri->n_previous; i++) {
		struct pn_lifecycle lc = cri->previous[i];
		struct entry *e = find(cri, lc.container_id ? lc.container_id : "");
		bool image_told = false;

		if ((e && e->counted) || !cri->on_lifecycle)
			continue;
		lc.kind = PN_LC_CONTAINER_STOPPED;
		lc.realtime_ns = realtime_ns();
		lc.snapshot = false;
		lc.reconciled = true;
		cri->on_lifecycle(cri->lifecycle_arg, &lc);
		for (size_t j = 0; j < i && !image_told; j++)
			image_told = !strcmp(cri->previous[j].image ? cri->previous[j].image : "",
					     lc.image ? lc.image : "") &&
				     cri->previous[j].reconciled;
		if (image_told || image_find(cri, lc.image ? lc.image : ""))
			continue;
		lc.kind = PN_LC_IMAGE_REMOVED;
		cri->on_lifecycle(cri->lifecycle_arg, &lc);
		cri->previous[i].reconciled = true; /* its image is told */
	}
	while (cri->n_previous)
		pn_lifecycle_clear(&cri->previous[--cri->n_previous]);
	free(cri->previous);
	cri->previous = NULL;
}

/* A container the runtime no longer lists; its image goes with its last one. */
static void count_out(struct pn_cri *cri, struct entry *e)
{
	struct image *im;

	if (!e->counted)
		return;
	lifecycle(cri, PN_LC_CONTAINER_STOPPED, e);
	im = image_find(cri, e->image_norm);
	if (im && --im->n == 0) {
		lifecycle(cri, PN_LC_IMAGE_REMOVED, e);
		free(im->name);
		*im = cri->images[--cri->n_images];
	}
	e->counted = false;
	cri->stats.images = cri->n_images;
}

/* ------------------------------------------------------------ the consumer's side */

static char *dup_or_null(const char *s)
{
	return s && s[0] ? strdup(s) : NULL;
}

static void copy_workload(const struct pn_workload *from, struct pn_workload *to)
{
	to->pod = dup_or_null(from->pod);
	to->namespace = dup_or_null(from->namespace);
	to->container = dup_or_null(from->container);
	to->image = dup_or_null(from->image);
	to->image_id = dup_or_null(from->image_id);
	/* without the memory for them the pod has none, and label selectors pass none */
	pn_labels_copy(&from->labels, &to->labels);
	pn_labels_copy(&from->annotations, &to->annotations);
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static struct timespec mono_after_ms(unsigned int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

bool pn_cri_wait_listed(struct pn_cri *cri, unsigned int ms)
{
	struct timespec until = mono_after_ms(ms), slice;
	bool listed;

	if (!cri)
		return false;
	pthread_mutex_lock(&cri->mu);
	/* in slices: a runtime found missing or refusing says so by its error, not a signal */
	while (!cri->listed_once && !cri->stop && !(cri->stats.error[0] && !cri->stats.connected)) {
		slice = mono_after_ms(20);
		if (slice.tv_sec > until.tv_sec ||
		    (slice.tv_sec == until.tv_sec && slice.tv_nsec >= until.tv_nsec))
			break;
		pthread_cond_timedwait(&cri->answered, &cri->mu, &slice);
	}
	listed = cri->listed_once;
	pthread_mutex_unlock(&cri->mu);
	return listed;
}

int pn_cri_lookup(void *arg, const char *container_id, bool wait, struct pn_workload *out)
{
	struct pn_cri *cri = arg;
	struct timespec until;
	struct entry *e;
	bool first = false;
	int err = -EAGAIN;

	pthread_mutex_lock(&cri->mu);
	e = find(cri, container_id);
	if (!e && cri->stats.connected) {
		e = add(cri, container_id, E_PENDING);
		first = e != NULL;
		pthread_cond_signal(&cri->wake);
	} else if (e && e->state == E_PENDING && !e->waited) {
		/* asked as its cgroup appeared, not answered yet: its first event waits too */
		first = true;
	}
	/* a look without waiting leaves the wait to the first event that is written */
	first &= wait;
	if (first) {
		e->waited = true;
		cri->stats.lookups++;
	}
	/* Only a container's first event waits: the later ones of a slow answer go at once. */
	if (first) {
		until = mono_after_ms(cri->wait_ms);
		while (cri->wait_ms && (e = find(cri, container_id)) && e->state == E_PENDING &&
		       !cri->stop)
			if (pthread_cond_timedwait(&cri->answered, &cri->mu, &until) == ETIMEDOUT)
				break;
		e = find(cri, container_id);
		if (!e || e->state == E_PENDING)
			cri->stats.late++;
	}
	if (e && e->state == E_KNOWN) {
		copy_workload(&e->w, out);
		err = 0;
	} else if (e && e->state == E_MISSING) {
		err = -ENOENT;
	} else if (!e && !cri->stats.connected && !cri->stats.endpoint[0]) {
		/* no runtime on this node (none given, none found): nothing is missing */
		err = -ENODEV;
	}
	pthread_mutex_unlock(&cri->mu);
	return err;
}

void pn_cri_expect(struct pn_cri *cri, const char *container_id)
{
	struct entry *e;

	if (!cri)
		return;
	pthread_mutex_lock(&cri->mu);
	e = find(cri, container_id);
	if (e && e->gone) {
		/* started again under its id (docker restart): asked again, counted again */
		e->gone = false;
		e->noted = true;
		e->rechecks = 0;
		e->recheck_ns = 1;
		cri->stats.cgroups_made++;
		count_known(cri);
		pthread_cond_signal(&cri->wake);
	} else if (!e && cri->stats.connected && (e = add(cri, container_id, E_PENDING))) {
		e->noted = true;
		cri->stats.cgroups_made++;
		pthread_cond_signal(&cri->wake);
	}
	pthread_mutex_unlock(&cri->mu);
}

void pn_cri_gone(struct pn_cri *cri, const char *container_id)
{
	struct entry *e;

	if (!cri)
		return;
	pthread_mutex_lock(&cri->mu);
	e = find(cri, container_id);
	if (e && !e->gone) {
		e->gone = true;
		cri->stats.cgroups_removed++;
		count_known(cri);
		pthread_cond_signal(&cri->wake);
	}
	pthread_mutex_unlock(&cri->mu);
}

void pn_cri_stats(struct pn_cri *cri, struct pn_cri_stats *out)
{
	pthread_mutex_lock(&cri->mu);
	*out = cri->stats;
	pthread_mutex_unlock(&cri->mu);
}

/* ------------------------------------------------------------ the runtime's side */

static const char *label(Runtime__V1__ContainerStatus *st, const char *key)
{
	for (size_t i = 0; i < st->n_labels; i++)
		if (st->labels[i]->key && strcmp(st->labels[i]->key, key) == 0)
			return st->labels[i]->value;
	return NULL;
}

/*
 * kubelet's labels name the pod; the image is the pod spec's spelling where
 * the runtime keeps it (user_specified_image), else the runtime's own tag;
 * image_ref is what Kubernetes reports as the container's imageID.
 */
static void workload_of(Runtime__V1__ContainerStatus *st, struct pn_workload *w)
{
	const char *name = st->metadata ? st->metadata->name : NULL;
	const char *image = NULL;

	if (st->image)
		image = st->image->user_specified_image && st->image->user_specified_image[0] ?
				st->image->user_specified_image :
				st->image->image;
	w->pod = dup_or_null(label(st, "io.kubernetes.pod.name"));
	w->namespace = dup_or_null(label(st, "io.kubernetes.pod.namespace"));
	w->container =
		dup_or_null(name && name[0] ? name : label(st, "io.kubernetes.container.name"));
	w->image = dup_or_null(image);
	w->image_id = dup_or_null(st->image_ref);
}

static void set_error(struct pn_cri *cri, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Says once, when it changes, that the runtime is gone; called under mu. */
static void set_error(struct pn_cri *cri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cri->stats.error, sizeof(cri->stats.error), fmt, ap);
	va_end(ap);
	cri->stats.connected = false;
	cri->stats.runtime[0] = '\0';
	drop_pending(cri);
	if (cri->said_down)
		return;
	cri->said_down = true;
	if (cri->endpoint || cri->path[0])
		pn_warn("container runtime: %s; events carry only what cgroup paths name "
			"(container_id, pod_uid); asking again every %u s",
			cri->stats.error, cri->resync_s);
	else
		pn_info("container runtime: %s; events carry only what cgroup paths name "
			"(container_id, pod_uid); looking again every %u s",
			cri->stats.error, cri->resync_s);
}

static void close_channel(struct pn_cri *cri)
{
	if (cri->ch)
		grpc_channel_destroy(cri->ch);
	cri->ch = NULL;
}

/* The socket to ask: the one given, else the first of PN_CRI_PROBED that is a socket. */
static bool choose_path(struct pn_cri *cri)
{
	struct stat st;

	cri->path[0] = '\0';
	if (cri->endpoint) {
		snprintf(cri->path, sizeof(cri->path), "%s", path_of_endpoint(cri->endpoint));
		return true;
	}
	for (size_t i = 0; i < sizeof(probed) / sizeof(probed[0]); i++) {
		if (stat(probed[i], &st) == 0 && S_ISSOCK(st.st_mode)) {
			snprintf(cri->path, sizeof(cri->path), "%s", probed[i]);
			return true;
		}
	}
	return false;
}

/* Under mu on entry and exit; the call itself runs unlocked. */
static int call(struct pn_cri *cri, const char *method, const ProtobufCMessage *req,
		const ProtobufCMessageDescriptor *desc, long ms, struct pn_api_reply *reply)
{
	int err;

	pthread_mutex_unlock(&cri->mu);
	err = pn_api_unary(cri->ch, cri->cq, method, req, desc, pn_api_deadline_ms(ms), reply);
	pthread_mutex_lock(&cri->mu);
	if (!err && reply->status != GRPC_STATUS_OK)
		err = -EREMOTEIO;
	if (err)
		cri->stats.failures++;
	return err;
}

static const char *reply_why(const struct pn_api_reply *r)
{
	return r->details[0] ? r->details : pn_api_status_name(r->status);
}

static bool connect_runtime(struct pn_cri *cri)
{
	Runtime__V1__VersionRequest req = RUNTIME__V1__VERSION_REQUEST__INIT;
	Runtime__V1__VersionResponse *v;
	grpc_arg arg = {
		.type = GRPC_ARG_INTEGER,
		.key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
		.value.integer = MAX_REPLY_MB << 20,
	};
	grpc_channel_args args = { .num_args = 1, .args = &arg };
	grpc_channel_credentials *creds;
	struct pn_api_reply r;
	char target[128];

	close_channel(cri);
	if (!choose_path(cri)) {
		snprintf(cri->stats.endpoint, sizeof(cri->stats.endpoint), "%s", "");
		set_error(cri,
			  "no runtime socket found (none of %s, %s, %s, %s; "
			  "--cri-endpoint names another)",
			  PN_CRI_PROBED);
		return false;
	}
	snprintf(cri->stats.endpoint, sizeof(cri->stats.endpoint), "unix://%s", cri->path);
	snprintf(target, sizeof(target), "unix:%s", cri->path);
	creds = grpc_insecure_credentials_create();
	cri->ch = creds ? grpc_channel_create(target, creds, &args) : NULL;
	if (creds)
		grpc_channel_credentials_release(creds);
	if (!cri->ch) {
		set_error(cri, "cannot make a channel to %s", cri->stats.endpoint);
		return false;
	}
	req.version = "v1";
	if (call(cri, SVC "Version", &req.base, &runtime__v1__version_response__descriptor, CALL_MS,
		 &r)) {
		set_error(cri, "cannot reach %s: %s", cri->stats.endpoint, reply_why(&r));
		pn_api_reply_clear(&r);
		close_channel(cri);
		return false;
	}
	v = (Runtime__V1__VersionResponse *)r.msg;
	snprintf(cri->stats.runtime, sizeof(cri->stats.runtime), "%s %s", v->runtime_name,
		 v->runtime_version);
	pn_info("container runtime: %s (CRI %s) at %s: events carry pod, namespace, container "
		"and image",
		cri->stats.runtime, v->runtime_api_version, cri->stats.endpoint);
	pn_api_reply_clear(&r);
	cri->stats.connected = true;
	cri->stats.error[0] = '\0';
	cri->said_down = false;
	return true;
}

/* What kubelet adds to a sandbox's labels: not the pod's own. */
static bool kubelet_label(const char *key)
{
	return !strcmp(key, "io.kubernetes.pod.name") ||
	       !strcmp(key, "io.kubernetes.pod.namespace") || !strcmp(key, "io.kubernetes.pod.uid");
}

static bool annotation_asked(const struct pn_cri *cri, const char *key)
{
	for (size_t i = 0; i < cri->n_annotation_keys; i++)
		if (!strcmp(cri->annotation_keys[i], key))
			return true;
	return false;
}

/*
 * The pod's labels (for label selectors and events) and the annotations
 * asked for: its sandbox's, found by the pod uid kubelet labels both with.
 * False only if the runtime is gone.
 */
static bool pod_meta(struct pn_cri *cri, const char *uid, struct pn_workload *w)
{
	Runtime__V1__ListPodSandboxRequest req = RUNTIME__V1__LIST_POD_SANDBOX_REQUEST__INIT;
	Runtime__V1__PodSandboxFilter filter = RUNTIME__V1__POD_SANDBOX_FILTER__INIT;
	Runtime__V1__PodSandboxFilter__LabelSelectorEntry want =
		RUNTIME__V1__POD_SANDBOX_FILTER__LABEL_SELECTOR_ENTRY__INIT;
	Runtime__V1__PodSandboxFilter__LabelSelectorEntry *wantp = &want;
	Runtime__V1__ListPodSandboxResponse *resp;
	Runtime__V1__PodSandbox *pod;
	char uidc[64];
	struct pn_api_reply r;

	snprintf(uidc, sizeof(uidc), "%s", uid);
	want.key = "io.kubernetes.pod.uid";
	want.value = uidc;
	filter.n_label_selector = 1;
	filter.label_selector = &wantp;
	req.filter = &filter;
	if (call(cri, SVC "ListPodSandbox", &req.base,
		 &runtime__v1__list_pod_sandbox_response__descriptor, CALL_MS, &r)) {
		bool gone = r.status == GRPC_STATUS_UNAVAILABLE ||
			    r.status == GRPC_STATUS_DEADLINE_EXCEEDED;

		if (gone)
			set_error(cri, "lost %s: %s", cri->stats.endpoint, reply_why(&r));
		pn_api_reply_clear(&r);
		return !gone;
	}
	resp = (Runtime__V1__ListPodSandboxResponse *)r.msg;
	pod = resp->n_items ? resp->items[0] : NULL;
	for (size_t i = 0; pod && i < pod->n_labels; i++) {
		const char *k = pod->labels[i]->key;

		if (k && !kubelet_label(k) && pn_labels_add(&w->labels, k, pod->labels[i]->value)) {
			/* without the memory for them the pod has none, and selectors pass none */
			pn_labels_clear(&w->labels);
			break;
		}
	}
	for (size_t i = 0; pod && i < pod->n_annotations; i++) {
		const char *k = pod->annotations[i]->key;

		if (k && annotation_asked(cri, k) &&
		    pn_labels_add(&w->annotations, k, pod->annotations[i]->value)) {
			pn_labels_clear(&w->annotations);
			break;
		}
	}
	pn_labels_sort(&w->labels);
	pn_labels_sort(&w->annotations);
	pn_api_reply_clear(&r);
	return true;
}

/* Asks about one container and files the answer; false if the runtime is gone. */
static bool ask(struct pn_cri *cri, const char *id)
{
	Runtime__V1__ContainerStatusRequest req = RUNTIME__V1__CONTAINER_STATUS_REQUEST__INIT;
	Runtime__V1__ContainerStatusResponse *resp;
	char idc[sizeof(((struct entry *)0)->id)];
	struct pn_workload w = { 0 };
	enum state st = E_MISSING;
	struct pn_api_reply r;
	bool running = false;
	struct entry *e;
	char *uid = NULL;
	int err;

	snprintf(idc, sizeof(idc), "%s", id); /* the entry may move while the call runs */
	req.container_id = idc;
	err = call(cri, SVC "ContainerStatus", &req.base,
		   &runtime__v1__container_status_response__descriptor, CALL_MS, &r);
	if (err && r.status != GRPC_STATUS_NOT_FOUND) {
		if (r.status == GRPC_STATUS_UNAVAILABLE ||
		    r.status == GRPC_STATUS_DEADLINE_EXCEEDED) {
			set_error(cri, "lost %s: %s", cri->stats.endpoint, reply_why(&r));
			pn_api_reply_clear(&r);
			return false;
		}
		/* any other refusal: this container goes without, the runtime stays */
		pn_debug("container runtime: ContainerStatus %s: %s", idc, reply_why(&r));
	} else if (!err) {
		resp = (Runtime__V1__ContainerStatusResponse *)r.msg;
		if (resp->status) {
			workload_of(resp->status, &w);
			uid = dup_or_null(label(resp->status, "io.kubernetes.pod.uid"));
			st = E_KNOWN;
			running = resp->status->state ==
				  RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
		}
	}
	pn_api_reply_clear(&r);
	if (uid && !pod_meta(cri, uid, &w)) {
		free(uid);
		pn_workload_clear(&w);
		return false;
	}
	free(uid);
	e = find(cri, idc);
	if (!e)
		e = add(cri, idc, st);
	if (e) {
		pn_workload_clear(&e->w);
		e->w = w;
		e->state = st;
		e->listed = true;
		/* an exited container asked about for its last events did not start again */
		if (running)
			count_in(cri, e);
		/* a noted one seen before it runs: asked again soon, not at the next resync */
		e->recheck_ns = 0;
		if (!running && st == E_KNOWN && e->noted && e->rechecks < RECHECKS)
			e->recheck_ns = mono_ns() +
					((uint64_t)RECHECK_FIRST_MS << e->rechecks++) * 1000000ULL;
		/* of the consumer's lookups: a sandbox's cgroup, noted, is none of the runtime's */
		cri->stats.unknown += st == E_MISSING && e->waited;
	} else {
		pn_workload_clear(&w);
	}
	count_known(cri);
	pthread_cond_broadcast(&cri->answered);
	return true;
}

/*
 * Containers whose cgroup was removed: stopped now (lifecycle). Kept, so
 * that late events are still named, until a list no longer has them.
 */
static void stop_gone(struct pn_cri *cri)
{
	for (size_t i = 0; i < cri->n; i++)
		if (cri->v[i].gone)
			count_out(cri, &cri->v[i]);
}

/* The first noted container due to be asked again; the earliest one after it in *next_ns. */
static struct entry *first_due(struct pn_cri *cri, uint64_t now, uint64_t *next_ns)
{
	struct entry *due = NULL;

	*next_ns = 0;
	for (size_t i = 0; i < cri->n; i++) {
		struct entry *e = &cri->v[i];

		if (!e->recheck_ns || e->gone)
			continue;
		if (e->recheck_ns <= now) {
			due = due ? due : e;
		} else if (!*next_ns || e->recheck_ns < *next_ns) {
			*next_ns = e->recheck_ns;
		}
	}
	return due;
}

/* Asks again what is due (ask() sets the next one); false if the runtime went away. */
static bool answer_rechecks(struct pn_cri *cri, uint64_t *next_ns)
{
	char id[sizeof(((struct entry *)0)->id)];
	struct entry *e;

	while (!cri->stop && (e = first_due(cri, mono_ns(), next_ns))) {
		snprintf(id, sizeof(id), "%s", e->id);
		e->recheck_ns = 0;
		if (!ask(cri, id))
			return false;
	}
	return true;
}

static struct entry *first_pending(struct pn_cri *cri)
{
	for (size_t i = 0; i < cri->n; i++)
		if (cri->v[i].state == E_PENDING)
			return &cri->v[i];
	return NULL;
}

/* Answers what the consumer waits for; false if the runtime went away. */
static bool answer_pending(struct pn_cri *cri)
{
	struct entry *e;

	while (!cri->stop && (e = first_pending(cri)))
		if (!ask(cri, e->id))
			return false;
	return true;
}

/*
 * Every container the runtime runs: those not known yet are asked about
 * (pending asks first, between them), those it no longer lists are dropped,
 * and what it did not know may be asked again.
 */
static bool resync(struct pn_cri *cri)
{
	Runtime__V1__ListContainersRequest req = RUNTIME__V1__LIST_CONTAINERS_REQUEST__INIT;
	Runtime__V1__ContainerFilter filter = RUNTIME__V1__CONTAINER_FILTER__INIT;
	Runtime__V1__ContainerStateValue state = RUNTIME__V1__CONTAINER_STATE_VALUE__INIT;
	Runtime__V1__ListContainersResponse *resp;
	struct pn_api_reply r;
	char **ids = NULL;
	size_t n = 0;
	bool ok = true;

	/*
	 * Running ones only: an exited container (a finished init container, a
	 * crash looping one) stops here, not when kubelet removes it.
	 */
	state.state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
	filter.state = &state;
	req.filter = &filter;
	if (call(cri, SVC "ListContainers", &req.base,
		 &runtime__v1__list_containers_response__descriptor, LIST_MS, &r)) {
		set_error(cri, "cannot list containers at %s: %s", cri->stats.endpoint,
			  reply_why(&r));
		pn_api_reply_clear(&r);
		return false;
	}
	resp = (Runtime__V1__ListContainersResponse *)r.msg;
	ids = calloc(resp->n_containers ? resp->n_containers : 1, sizeof(*ids));
	for (size_t i = 0; ids && i < resp->n_containers; i++)
		if (resp->containers[i]->id && (ids[n] = strdup(resp->containers[i]->id)))
			n++;
	pn_api_reply_clear(&r);
	if (!ids)
		return true;
	for (size_t i = 0; i < cri->n; i++)
		cri->v[i].listed = cri->v[i].state == E_PENDING;
	for (size_t i = 0; i < n && ok && !cri->stop; i++) {
		struct entry *e = find(cri, ids[i]);

		if (e && e->state == E_KNOWN) {
			e->listed = true;
			/* known from an ask before it ran (runc's init in a created one): it runs */
			count_in(cri, e);
		} else {
			ok = answer_pending(cri) && ask(cri, ids[i]);
		}
	}
	/* a partial list proves nothing gone */
	for (size_t i = cri->n; ok && !cri->stop && i-- > 0;) {
		if (!cri->v[i].listed) {
			count_out(cri, &cri->v[i]);
			drop_at(cri, i);
		}
	}
	if (ok && !cri->stop && !cri->listed_once) {
		cri->listed_once = true;
		reconcile(cri);
	}
	count_known(cri);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return ok;
}

static void *run(void *arg)
{
	struct pn_cri *cri = arg;
	struct timespec next = { 0 }, now, until;
	uint64_t recheck_at;

	pthread_mutex_lock(&cri->mu);
	while (!cri->stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec >= next.tv_nsec)) {
			next = mono_after_ms(cri->resync_s * 1000);
			if (cri->stats.connected || connect_runtime(cri))
				resync(cri);
		}
		recheck_at = 0;
		if (cri->stats.connected && answer_pending(cri))
			answer_rechecks(cri, &recheck_at);
		stop_gone(cri);
		if (cri->stop || (cri->stats.connected && first_pending(cri)))
			continue;
		until = next;
		if (recheck_at &&
		    recheck_at < (uint64_t)next.tv_sec * 1000000000ULL + (uint64_t)next.tv_nsec) {
			until.tv_sec = (time_t)(recheck_at / 1000000000ULL);
			until.tv_nsec = (long)(recheck_at % 1000000000ULL);
		}
		pthread_cond_timedwait(&cri->wake, &cri->mu, &until);
	}
	pthread_mutex_unlock(&cri->mu);
	return NULL;
}

int pn_cri_start(const struct pn_cri_config *cfg, struct pn_cri **out)
{
	pthread_condattr_t ca;
	struct pn_cri *cri;
	int err;

	*out = NULL;
	cri = calloc(1, sizeof(*cri));
	if (!cri)
		return -ENOMEM;
	/* first what pn_cri_stop() undoes whatever else failed */
	pthread_mutex_init(&cri->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cri->wake, &ca);
	pthread_cond_init(&cri->answered, &ca);
	pthread_condattr_destroy(&ca);
	grpc_init();
	cri->wait_ms = cfg->wait_ms;
	cri->on_lifecycle = cfg->on_lifecycle;
	cri->lifecycle_arg = cfg->lifecycle_arg;
	cri->resync_s = cfg->resync_s ? cfg->resync_s : PN_CRI_RESYNC_S;
	err = -ENOMEM;
	if (cfg->endpoint && cfg->endpoint[0] && !(cri->endpoint = strdup(cfg->endpoint)))
		goto fail;
	cri->annotation_keys = calloc(cfg->n_annotation_keys + 1, sizeof(*cri->annotation_keys));
	if (!cri->annotation_keys)
		goto fail;
	for (; cri->n_annotation_keys < cfg->n_annotation_keys; cri->n_annotation_keys++)
		if (!(cri->annotation_keys[cri->n_annotation_keys] =
			      strdup(cfg->annotation_keys[cri->n_annotation_keys])))
			goto fail;
	cri->previous = calloc(cfg->n_previous ? cfg->n_previous : 1, sizeof(*cri->previous));
	if (!cri->previous)
		goto fail;
	for (; cri->n_previous < cfg->n_previous; cri->n_previous++) {
		struct pn_lifecycle *lc = &cri->previous[cri->n_previous];

		if (pn_lifecycle_copy(lc, &cfg->previous[cri->n_previous]))
			goto fail;
		lc->reconciled = false; /* here: "its image was told" (reconcile()) */
	}
	cri->cq = grpc_completion_queue_create_for_pluck(NULL);
	err = cri->cq ? -pthread_create(&cri->thread, NULL, run, cri) : -ENOMEM;
	if (err)
		goto fail;
	cri->started = true;
	*out = cri;
	return 0;
fail:
	pn_cri_stop(cri);
	return err;
}

void pn_cri_stop(struct pn_cri *cri)
{
	if (!cri)
		return;
	pthread_mutex_lock(&cri->mu);
	cri->stop = true;
	pthread_cond_broadcast(&cri->wake);
	pthread_cond_broadcast(&cri->answered);
	pthread_mutex_unlock(&cri->mu);
	/* a call under way ends by its deadline (CALL_MS, LIST_MS) */
	if (cri->started)
		pthread_join(cri->thread, NULL);
	close_channel(cri);
	pn_api_cq_destroy(cri->cq);
	grpc_shutdown();
	while (cri->n)
		drop_at(cri, cri->n - 1);
	free(cri->v);
	for (size_t i = 0; i < cri->n_images; i++)
		free(cri->images[i].name);
	free(cri->images);
	while (cri->n_previous)
		pn_lifecycle_clear(&cri->previous[--cri->n_previous]);
	free(cri->previous);
	for (size_t i = 0; i < cri->n_annotation_keys; i++)
		free(cri->annotation_keys[i]);
	free(cri->annotation_keys);
	pthread_cond_destroy(&cri->wake);
	pthread_cond_destroy(&cri->answered);
	pthread_mutex_destroy(&cri->mu);
	free(cri->endpoint);
	free(cri);
}
