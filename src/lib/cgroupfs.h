/* SPDX-License-Identifier: GPL-2.0-only */
/* Finding cgroup v2 directories and their ids: by path, pid or container id. */
#ifndef PN_CGROUPFS_H
#define PN_CGROUPFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Where kubelet puts the pods, below the cgroup2 root: the systemd cgroup
 * driver's slice and the cgroupfs driver's directory.
 */
#define PN_PODS_CGROUPS "/kubepods.slice", "/kubepods"

/*
 * Finds the cgroup2 mount point from a mountinfo file (normally
 * /proc/self/mountinfo). Returns 0 and the path in out, -ENOENT if none.
 */
int pn_cgroup2_mount(const char *mountinfo_path, char *out, size_t outlen);
/* The same mount's ROOT field (see pn_cgroupfs_place_namespace()). */
int pn_cgroup2_mount_root(const char *mountinfo_path, char *out, size_t outlen);

/*
 * The cgroup id the kernel reports (bpf_get_current_cgroup_id) for a cgroup
 * directory: -ENOTDIR for anything but a directory, -EMEDIUMTYPE for a
 * directory that is not on a cgroup2 file system (statfs magic).
 */
int pn_cgroup_id(const char *cgroup_dir, uint64_t *id);

/*
 * Tests only: directories at or below `dir` (an ordinary file system
 * standing in for the cgroup2 mount) count as cgroups, their st_ino as
 * their id. NULL or "" ends it. panoptesd never calls it.
 */
void pn_cgroupfs_fake_root(const char *dir);

/* Depth below the cgroup2 root: root = 0, "/a" = 1, "/a/b" = 2. */
int pn_cgroup_level(const char *cgroup2_root, const char *cgroup_dir);

/*
 * Tells pn_cgroup_of_pid() where the cgroup2 mount at cgroup2_root lies as
 * this process's cgroup namespace prints it (mountinfo's ROOT: "/" on a
 * host, NULL the same; "/../../.." for the host's tree mounted into a
 * container of a cgroup namespace of its own), and finds where that
 * namespace's root lies below the mount: the cgroup of `self` that many
 * levels down, as a container's init is placed before its namespace is
 * made. -ENOENT if it is not found (then only paths below the mount's root
 * as printed are placed).
 */
int pn_cgroupfs_place_namespace(const char *cgroup2_root, const char *root, pid_t self);

/*
 * Cgroup v2 directory of a process, read from PROC_ROOT/PID/cgroup (the "0::"
 * line), placed below the mount (pn_cgroupfs_place_namespace())
 * and joined to cgroup2_root. proc_root is "/proc" except in tests. -ESRCH
 * if the process does not exist, -ENOENT if it has no v2 cgroup, -EXDEV if
 * its cgroup cannot be placed in the tree the mount shows.
 */
int pn_cgroup_of_pid(const char *proc_root, const char *cgroup2_root, pid_t pid, char *out,
		     size_t outlen);

/*
 * Splits "containerd://ID" (also docker://, cri-o://, runc://, or bare ID)
 * into runtime and id. Returns 0, or -EINVAL with a message naming the value
 * if the prefix is unknown or the id is empty or holds '/'.
 */
int pn_container_ref_parse(const char *ref, char *runtime, size_t rlen, char *id, size_t idlen,
			   char *err, size_t errlen);

/*
 * Searches the cgroup v2 tree under cgroup2_root for the directory of a
 * container: docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope,
 * libpod-ID.scope, crio-ID and libpod-ID (cgroupfs driver; not conmon-ID),
 * or a directory named exactly ID (runc, cgroupfs driver).
 * An id prefix of at least 12 characters matches when unambiguous.
 * Returns 0 and the path, -ENOENT if not found, -EEXIST if ambiguous.
 */
int pn_cgroup_of_container(const char *cgroup2_root, const char *container_ref, char *out,
			   size_t outlen);

/* What a cgroup's path alone tells of Kubernetes identity (both cgroup drivers). */
struct pn_cgroup_identity {
	char pod_uid[40];      /* "6f1c9d7e-2b1a-4c3d-9e8f-0a1b2c3d4e5f", or "" */
	char container_id[72]; /* the runtime's 64-hex id, or "" */
};

/*
 * Reads a cgroup path as the runtimes and kubelet name it: the pod uid from
 * a "pod<uid>" component (cgroupfs) or a "kubepods-...-pod<uid>.slice" one
 * (systemd, '_' for '-'), the container id from the deepest component that
 * is a 64-hex id, bare or with a runtime's prefix (docker-, cri-containerd-,
 * crio-, libpod-; ".scope" or not; never a conmon-). What is not there is "".
 */
void pn_cgroup_path_identity(const char *path, struct pn_cgroup_identity *out);

#endif
