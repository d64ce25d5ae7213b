// SPDX-License-Identifier: GPL-2.0-only
/*
 * Finding cgroup v2 directories and their ids. Runs when watches are created
 * or resolved, never per event, so clarity wins over speed here.
 */
#define _GNU_SOURCE /* name_to_handle_at, getline */
#include "cgroupfs.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "errmsg.h"
#include "macros.h"
#include "pathutil.h"

/* include/linux/exportfs.h (not uapi): the handle type of kernfs, hence of cgroupfs. */
#define PN_FILEID_KERNFS 0xfe

/* cgroup trees of Kubernetes nodes are 5-7 levels deep; this bounds a walk of a strange tree. */
#define PN_CGROUP_WALK_DEPTH 16

/* Shortest id prefix accepted, as `docker ps` and crictl print ids (12 hex digits). */
#define PN_ID_PREFIX_MIN 12

static int copy_out(char *out, size_t outlen, const char *s, size_t n)
{
	if (n >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* mountinfo writes space, tab, newline and backslash in paths as \NNN (octal). */
static size_t unescape_octal(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/*
 * mountinfo line (proc(5)): ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS
 * [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS. The optional fields vary in
 * number, so the file system type is the field after the lone "-".
 * Returns the mount point, and its ROOT in *root (both unescaped in place),
 * if the type is cgroup2.
 */
static char *mountinfo_cgroup2(char *line, char **root)
{
	char *save = NULL, *mp = NULL, *f;
	int field = 0;
	bool after_dash = false;

	*root = NULL;
	for (f = strtok_r(line, " \n", &save); f; f = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field == 4) {
			*root = f;
		} else if (field == 5) {
			mp = f;
		} else if (field > 6 && !after_dash) {
			after_dash = strcmp(f, "-") == 0;
		} else if (after_dash) {
			if (!mp || !*root || strcmp(f, "cgroup2") != 0)
				return NULL;
			unescape_octal(mp);
			unescape_octal(*root);
			return mp;
		}
	}
	return NULL;
}

static size_t strip_trailing_slashes(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == '/')
		n--;
	return n;
}

static int mount_field(const char *mountinfo_path, bool want_root, char *out, size_t outlen)
{
	char first[PATH_MAX];
	FILE *f = fopen(mountinfo_path, "re");
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;

	if (!f)
		return -errno;
	/*
	 * The first cgroup2 mount point wins: later ones are bind mounts or
	 * nested namespaces'. What is seen there is the last mount on it: a
	 * pod's own cgroup mount with the node's tree mounted over it (the
	 * DaemonSet's hostPath) reads as the node's.
	 */
	while (getline(&line, &cap, f) > 0) {
		char *root, *mp = mountinfo_cgroup2(line, &root);

		if (!mp || (ret != -ENOENT && strcmp(mp, first)))
			continue;
		if (ret == -ENOENT && copy_out(first, sizeof(first), mp, strlen(mp)))
			break;
		ret = want_root ? copy_out(out, outlen, root, strlen(root)) :
				  copy_out(out, outlen, mp, strlen(mp));
		if (ret || !want_root)
			break;
	}
	free(line);
	fclose(f);
	return ret;
}

int pn_cgroup2_mount(const char *mountinfo_path, char *out, size_t outlen)
{
	return mount_field(mountinfo_path, false, out, outlen);
}

int pn_cgroup2_mount_root(const char *mountinfo_path, char *out, size_t outlen)
{
	return mount_field(mountinfo_path, true, out, outlen);
}

/*
 * The mount's root as our cgroup namespace prints it ("" = "/"), and where
 * that namespace's root lies below the mount ("" = the mount's root), when
 * pn_cgroupfs_place_namespace() found it.
 */
static char mount_root[PATH_MAX];
static char ns_root[PATH_MAX];
static bool ns_root_known = true;

/* "/.." k times: k; anything else -1. */
static int dotdots(const char *p)
{
	int k = 0;

	for (; *p; p += 3, k++)
		if (strncmp(p, "/..", 3) || (p[3] && p[3] != '/'))
			return -1;
	return k;
}

/* Whether fd's text (a cgroup.procs) lists pid. */
static bool procs_list(FILE *f, pid_t pid)
{
	long v;

	while (fscanf(f, "%ld", &v) == 1)
		if (v == pid)
			return true;
	return false;
}

int pn_cgroupfs_place_namespace(const char *cgroup2_root, const char *root, pid_t self)
{
	size_t n = root ? strip_trailing_slashes(root, strlen(root)) : 0;
	size_t rl = strip_trailing_slashes(cgroup2_root, strlen(cgroup2_root));
	char *roots[] = { (char *)cgroup2_root, NULL };
	char procs[PATH_MAX];
	int k, ret = -ENOENT;
	FTSENT *e;
	FTS *fts;

	snprintf(mount_root, sizeof(mount_root), "%.*s", (int)n, n ? root : "");
	ns_root[0] = '\0';
	ns_root_known = !mount_root[0];
	k = dotdots(mount_root);
	if (k <= 0)
		return 0; /* the host's view, or a subtree of it: placed by the printed root */
	/*
	 * The mount shows k levels above our namespace's root, which is our own
	 * cgroup (a container's init is placed before its namespace is made):
	 * the cgroup k levels down whose cgroup.procs lists us.
	 */
	fts = fts_open(roots, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_NOCHDIR | FTS_NOSTAT, NULL);
	if (!fts)
		return -errno;
	while (ret && (e = fts_read(fts))) {
		FILE *f;

		if (e->fts_info != FTS_D || e->fts_level < k)
			continue;
		fts_set(fts, e, FTS_SKIP);
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", e->fts_path);
		f = fopen(procs, "re");
		if (!f)
			continue;
		if (procs_list(f, self) && e->fts_pathlen > rl) {
			snprintf(ns_root, sizeof(ns_root), "%s", e->fts_path + rl);
			ns_root_known = true;
			ret = 0;
		}
		fclose(f);
	}
	fts_close(fts);
	return ret;
}

/*
 * rel (as our namespace prints it) from the namespace's root, lexically:
 * -EXDEV if it climbs above the mount's root.
 */
static int place(const char *rel, char *out, size_t outlen)
{
	char joined[PATH_MAX * 2];
	size_t at = 0;

	snprintf(joined, sizeof(joined), "%s%s", ns_root, rel);
	for (char *save = NULL, *c = strtok_r(joined, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			if (!at)
				return -EXDEV;
			while (at && out[--at] != '/')
				;
			continue;
		}
		if (at + 1 + strlen(c) + 1 > outlen)
			return -ENAMETOOLONG;
		out[at++] = '/';
		memcpy(out + at, c, strlen(c));
		at += strlen(c);
	}
	out[at] = '\0';
	return 0;
}

/* Tests only (pn_cgroupfs_fake_root): a directory tree standing in for the cgroup2 mount. */
static char fake_root[PATH_MAX];

void pn_cgroupfs_fake_root(const char *dir)
{
	snprintf(fake_root, sizeof(fake_root), "%s", dir ? dir : "");
}

static bool in_fake_root(const char *path)
{
	size_t n = strlen(fake_root);

	return n && strncmp(path, fake_root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/*
 * bpf_get_current_cgroup_id() returns the kernfs node id of the cgroup,
 * which is what name_to_handle_at() puts in an 8-byte kernfs file handle
 * (libbpf's selftests get_cgroup_id() does the same). On 64-bit kernels it
 * also equals st_ino, but the handle is the documented route.
 *
 * Only a directory on a cgroup2 file system is a cgroup: any other
 * directory's st_ino could equal a real cgroup's id, so it is refused
 * (-EMEDIUMTYPE), never given an id. The one exception is the tests' fake
 * tree (pn_cgroupfs_fake_root), whose ids are st_ino.
 */
int pn_cgroup_id(const char *cgroup_dir, uint64_t *id)
{
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	struct statfs sfs;
	struct stat st;
	int mount_id;

	if (stat(cgroup_dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR; /* cgroup files have kernfs ids too; they are not cgroups */
	if (in_fake_root(cgroup_dir)) {
		*id = (uint64_t)st.st_ino;
		return 0;
	}
	if (statfs(cgroup_dir, &sfs))
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -EMEDIUMTYPE;
	h.fh.handle_bytes = sizeof(uint64_t);
	if (name_to_handle_at(AT_FDCWD, cgroup_dir, &h.fh, &mount_id, 0))
		return -errno;
	if (h.fh.handle_type != PN_FILEID_KERNFS || h.fh.handle_bytes != sizeof(uint64_t))
		return -EMEDIUMTYPE;
	memcpy(id, h.fh.f_handle, sizeof(uint64_t));
	return 0;
}

int pn_cgroup_level(const char *cgroup2_root, const char *cgroup_dir)
{
	size_t rl = strip_trailing_slashes(cgroup2_root, strlen(cgroup2_root));
	size_t dl = strip_trailing_slashes(cgroup_dir, strlen(cgroup_dir));
	int level = 0;

	if (dl < rl || memcmp(cgroup_dir, cgroup2_root, rl) != 0 ||
	    (dl > rl && cgroup_dir[rl] != '/'))
		return -EINVAL;
	/* lexical: "." is nothing, ".." could climb out of the root, so it is refused */
	for (size_t i = rl; i < dl;) {
		size_t start, n;

		while (i < dl && cgroup_dir[i] == '/')
			i++;
		start = i;
		while (i < dl && cgroup_dir[i] != '/')
			i++;
		n = i - start;
		if (n == 0 || (n == 1 && cgroup_dir[start] == '.'))
			continue;
		if (n == 2 && cgroup_dir[start] == '.' && cgroup_dir[start + 1] == '.')
			return -EINVAL;
		level++;
	}
	return level;
}

int pn_cgroup_of_pid(const char *proc_root, const char *cgroup2_root, pid_t pid, char *out,
		     size_t outlen)
{
	char file[4096], placed[PATH_MAX];
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = -ENOENT;

	if (pid <= 0)
		return -ESRCH;
	if ((size_t)snprintf(file, sizeof(file), "%s/%d/cgroup", proc_root, (int)pid) >=
	    sizeof(file))
		return -ENAMETOOLONG;
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;

	/* hybrid hosts list the v1 hierarchies ("N:controllers:/path") before "0::/path" */
	while ((n = getline(&line, &cap, f)) > 0) {
		const char *rel = line + 3;
		size_t rl, rel_len;

		if (strncmp(line, "0::", 3) != 0)
			continue;
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		rel_len = (size_t)n - 3;
		if (rel[0] != '/')
			break; /* -ENOENT: not a path we can join */
		/*
		 * In a cgroup namespace the kernel prints paths from the reader's
		 * namespace root, by the shortest way ("/../sibling"), and the
		 * mount's root from the same place (cgroup_show_path()). Where
		 * the namespace's root lies is known (placed at start): the path
		 * from there. Else only what lies below the mount's root as
		 * printed is known; "/../x" beyond it is not.
		 */
		if (ns_root_known && (mount_root[0] || ns_root[0])) {
			ret = place(rel, placed, sizeof(placed));
			if (ret)
				break;
			rel = placed[0] ? placed : "/";
			rel_len = strlen(rel);
		} else if (mount_root[0]) {
			size_t ml = strlen(mount_root);

			if (strncmp(rel, mount_root, ml) || (rel[ml] && rel[ml] != '/')) {
				ret = -EXDEV;
				break;
			}
			rel += ml;
			rel_len -= ml;
			if (!rel_len) {
				rel = "/";
				rel_len = 1;
			}
		}
		if (pn_path_has_dotdot(rel)) {
			ret = -EXDEV;
			break;
		}
		rl = strip_trailing_slashes(cgroup2_root, strlen(cgroup2_root));
		if (rel_len == 1) { /* the root cgroup */
			ret = rl ? copy_out(out, outlen, cgroup2_root, rl) :
				   copy_out(out, outlen, "/", 1);
			break;
		}
		if (rl + rel_len >= outlen) {
			ret = -ENAMETOOLONG;
			break;
		}
		memcpy(out, cgroup2_root, rl);
		memcpy(out + rl, rel, rel_len + 1);
		ret = 0;
		break;
	}
	free(line);
	fclose(f);
	return ret;
}

static const struct {
	const char *scheme;
	size_t scheme_len;
	const char *runtime;
} runtimes[] = {
	{ "docker://", 9, "docker" },
	{ "containerd://", 13, "containerd" },
	{ "cri-o://", 8, "cri-o" },
	{ "runc://", 7, "runc" },
};

int pn_container_ref_parse(const char *ref, char *runtime, size_t rlen, char *id, size_t idlen,
			   char *err, size_t errlen)
{
	const char *sep, *rt = "", *cid;
	size_t n;

	if (!ref)
		return pn_errf(err, errlen, -EINVAL, "missing container reference");
	sep = strstr(ref, "://");
	if (sep) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(runtimes); i++)
			if (strncmp(ref, runtimes[i].scheme, runtimes[i].scheme_len) == 0)
				break;
		if (i == ARRAY_SIZE(runtimes))
			return pn_errf(
				err, errlen, -EINVAL,
				"unknown container runtime \"%.*s\" in \"%s\"; valid: docker://, "
				"containerd://, cri-o://, runc:// or a bare id",
				(int)(sep - ref), ref, ref);
		rt = runtimes[i].runtime;
		cid = ref + runtimes[i].scheme_len;
	} else {
		cid = ref; /* a bare id: any runtime */
	}

	n = strlen(cid);
	if (n == 0)
		return pn_errf(err, errlen, -EINVAL, "empty container id in \"%s\"", ref);
	/* the id names one directory of the cgroup tree; a '/' could point anywhere */
	if (strchr(cid, '/'))
		return pn_errf(err, errlen, -EINVAL,
			       "container id \"%s\" in \"%s\" must not contain '/'", cid, ref);
	if (n >= idlen)
		return pn_errf(err, errlen, -EINVAL,
			       "container id in \"%s\" is too long (%zu bytes, at most %zu)", ref,
			       n, idlen ? idlen - 1 : 0);
	if (strlen(rt) >= rlen)
		return pn_errf(err, errlen, -EINVAL, "no room for the runtime name of \"%s\"", ref);
	memcpy(id, cid, n + 1);
	strcpy(runtime, rt);
	return 0;
}

enum id_match { ID_NONE, ID_PREFIX, ID_EXACT };

static enum id_match id_cmp(const char *cand, size_t clen, const char *id, size_t idlen,
			    bool prefix_ok)
{
	if (clen == idlen && memcmp(cand, id, idlen) == 0)
		return ID_EXACT;
	if (prefix_ok && idlen >= PN_ID_PREFIX_MIN && clen > idlen && memcmp(cand, id, idlen) == 0)
		return ID_PREFIX;
	return ID_NONE;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return n > 0;
}

/*
 * Prefixes the runtimes put before a container's id: systemd scopes
 * (docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope, libpod-ID.scope)
 * and, on the cgroupfs driver, the same without ".scope" (CRI-O's crio-ID,
 * podman's libpod-ID under libpod_parent).
 */
static const char *const id_prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };

#define SCOPE_SUFFIX	 ".scope"
#define SCOPE_SUFFIX_LEN (sizeof(SCOPE_SUFFIX) - 1)

static bool has_scope_suffix(const char *name, size_t n)
{
	return n > SCOPE_SUFFIX_LEN &&
	       memcmp(name + n - SCOPE_SUFFIX_LEN, SCOPE_SUFFIX, SCOPE_SUFFIX_LEN) == 0;
}

/*
 * The length of the runtime's prefix `name` (of n bytes, ".scope" already
 * off) starts with; 0 for none, -1 for conmon's cgroup (crio-conmon-ID,
 * libpod-conmon-ID), which holds the monitor process, not the container.
 */
static int runtime_prefix(const char *name, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(id_prefixes); i++) {
		size_t pl = strlen(id_prefixes[i]);

		if (n <= pl || memcmp(name, id_prefixes[i], pl) != 0)
			continue;
		if (n - pl > 7 && strncmp(name + pl, "conmon-", 7) == 0)
			return -1;
		return (int)pl;
	}
	return 0;
}

static enum id_match name_match(const char *name, size_t nlen, const char *id, size_t idlen)
{
	bool scope = has_scope_suffix(name, nlen);
	int pl;

	/* a directory named exactly the id: runc, and runtimes on the cgroupfs driver */
	if (nlen == idlen && memcmp(name, id, idlen) == 0)
		return ID_EXACT;

	if (scope)
		nlen -= SCOPE_SUFFIX_LEN;
	pl = runtime_prefix(name, nlen);
	if (pl < 0)
		return ID_NONE;
	/* without the scope's suffix, only a runtime's id shape (hex) may be a prefix */
	if (pl > 0)
		return id_cmp(name + pl, nlen - (size_t)pl, id, idlen,
			      scope || all_hex(name + pl, nlen - (size_t)pl));
	if (scope)
		return ID_NONE;

	/*
	 * A bare directory name matches a prefix only if it looks like a runtime's
	 * id (hex): "kubepods-besteffort" must not answer to "kubepods-bes".
	 */
	return id_cmp(name, nlen, id, idlen, all_hex(name, nlen));
}

struct found {
	char *path;
	bool ambiguous;
};

/*
 * fts walks in pre-order, so an ancestor is seen before its descendants. A
 * match below an earlier match is the same container (cri-o may create a
 * child inside crio-ID.scope): the outer directory is its cgroup and the
 * kernel's ancestor check covers the rest.
 */
static int found_add(struct found *f, const char *path, size_t n)
{
	if (!f->path) {
		f->path = strndup(path, n);
		return f->path ? 0 : -ENOMEM;
	}
	if (strncmp(path, f->path, strlen(f->path)) == 0 && path[strlen(f->path)] == '/')
		return 0;
	f->ambiguous = true;
	return 0;
}

int pn_cgroup_of_container(const char *cgroup2_root, const char *container_ref, char *out,
			   size_t outlen)
{
	char runtime[16], id[256];
	char *roots[] = { (char *)cgroup2_root, NULL };
	struct found exact = { 0 }, prefix = { 0 };
	struct found *best;
	size_t idlen;
	FTSENT *e;
	FTS *fts;
	int ret = 0;

	ret = pn_container_ref_parse(container_ref, runtime, sizeof(runtime), id, sizeof(id), NULL,
				     0);
	if (ret)
		return ret;
	idlen = strlen(id);

	/*
	 * The runtime is not used to narrow the names: ids are 64 hex digits,
	 * and a runtime may run under another one's scope naming (containerd
	 * under docker, runc under anything).
	 */
	fts = fts_open(roots, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_NOCHDIR | FTS_NOSTAT, NULL);
	if (!fts)
		return -errno;
	errno = 0;
	while ((e = fts_read(fts))) {
		enum id_match kind;

		/* unreadable or vanished directories (cgroups come and go) are skipped */
		if (e->fts_info != FTS_D)
			continue;
		if (e->fts_level >= PN_CGROUP_WALK_DEPTH)
			fts_set(fts, e, FTS_SKIP);
		if (e->fts_level == 0)
			continue; /* the root cgroup is no container's */
		kind = name_match(e->fts_name, e->fts_namelen, id, idlen);
		if (kind == ID_NONE)
			continue;
		ret = found_add(kind == ID_EXACT ? &exact : &prefix, e->fts_path, e->fts_pathlen);
		if (ret)
			break;
		if (exact.ambiguous)
			break; /* nothing found later can settle it */
	}
	if (!ret && !e && errno)
		ret = -errno;
	fts_close(fts);

	if (!ret) {
		/* a full id beats ids it is only a prefix of */
		best = exact.path ? &exact : &prefix;
		if (!best->path)
			ret = -ENOENT;
		else if (best->ambiguous)
			ret = -EEXIST;
		else
			ret = copy_out(out, outlen, best->path, strlen(best->path));
	}
	free(exact.path);
	free(prefix.path);
	return ret;
}

#define UID_LEN 36 /* 8-4-4-4-12 */

/* A pod uid as kubelet writes it into a cgroup name: hex and '-' ('_' on systemd). */
static bool take_uid(const char *s, size_t n, char *out)
{
	if (n != UID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];

		if (dash ? c != '-' && c != '_' : !all_hex(&c, 1))
			return false;
		out[i] = dash ? '-' : c;
	}
	out[n] = '\0';
	return true;
}

static bool pod_component(const char *name, size_t n, char *uid)
{
	const char *p;

	/* cgroupfs: "pod<uid>" */
	if (n > 3 && memcmp(name, "pod", 3) == 0 && take_uid(name + 3, n - 3, uid))
		return true;
	/* systemd: "kubepods[-<qos>]-pod<uid>.slice" */
	if (n < 6 || memcmp(name + n - 6, ".slice", 6) != 0 || strncmp(name, "kubepods-", 9))
		return false;
	n -= 6;
	for (p = name; (p = memmem(p, n - (size_t)(p - name), "-pod", 4)); p++)
		if (take_uid(p + 4, n - (size_t)(p + 4 - name), uid))
			return true;
	return false;
}

#define FULL_ID_LEN 64

static bool container_component(const char *name, size_t n, char *id)
{
	int pl;

	if (has_scope_suffix(name, n))
		n -= SCOPE_SUFFIX_LEN;
	pl = runtime_prefix(name, n);
	if (pl > 0) {
		name += pl;
		n -= (size_t)pl;
	}
	if (n != FULL_ID_LEN || !all_hex(name, n))
		return false;
	memcpy(id, name, n);
	id[n] = '\0';
	return true;
}

void pn_cgroup_path_identity(const char *path, struct pn_cgroup_identity *out)
{
	const char *end = path + strlen(path), *start;

	memset(out, 0, sizeof(*out));
	/* from the leaf up: the deepest id is the container's (cri-o nests one below it) */
	while (end > path) {
		while (end > path && end[-1] == '/')
			end--;
		start = end;
		while (start > path && start[-1] != '/')
			start--;
		if (start == end)
			break;
		if (!out->container_id[0] && !out->pod_uid[0])
			container_component(start, (size_t)(end - start), out->container_id);
		if (!out->pod_uid[0])
			pod_component(start, (size_t)(end - start), out->pod_uid);
		end = start;
	}
}
