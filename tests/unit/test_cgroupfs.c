// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroupfs lookups against fixture mountinfo files and fake cgroup and /proc
 * trees in a temporary directory. Fake trees live on an ordinary file system,
 * so pn_cgroup_id() takes its st_ino route there; the real cgroup2 mount is
 * only read (no root needed), when there is one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroupfs.h"
#include "fake_tree.h"

#define DATA PN_TEST_DATA_DIR "/"

/* 64-hex container ids, as docker, containerd and cri-o make them */
#define ID_A "559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd"
#define ID_B "df7e70e5021544f4834bbee64a9e3789febc4be81470df629cad6ddb03320a5c"
#define ID_C "6b23c0d5f35d1b11f9b683f0b0a617355deb11277d91ae091d399c655b87940d"
#define ID_E "a9f51566bd6705f7ea6ad54bb9deb449f795582d6529a0e22207b8981233ec58"
#define ID_F "f67ab10ad4e4c53121b6a5fe4da9c10ddee905b978d3788d2723d7bfacbe28a9"
/* G1 and G2 share their first 20 digits */
#define ID_G1	"333e0a1e27815d0ceee55c473fe3dc93d56c63e3bee2b3b4aee8eed6d70191a3"
#define ID_G2	"333e0a1e27815d0ceee5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_H	"44bd7ae60f478fae1061e11a7739f4b94d1daf917982d33b6fc8a01a63f89c21"
#define ID_N	"1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef"
#define ID_DEEP "deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
#define ID_LINK "0000000011111111222222223333333344444444555555556666666677777777"
/* podman and cri-o on the cgroupfs driver: no ".scope" */
#define ID_P "7d3ba1c0e5f24a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d"
#define ID_O "8e4cb2d1f6035b7c9daef1203b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"

#define KUBEPODS_POD                                                                               \
	"kubepods.slice/kubepods-burstable.slice/"                                                 \
	"kubepods-burstable-pod6f1c9d7e_2b1a_4c3d_9e8f_0a1b2c3d4e5f.slice"

static char cg[PATH_MAX]; /* fake cgroup2 root */
static char proc[PATH_MAX];

static int tree_setup(void **state)
{
	(void)state;
	if (fake_tree_new("cgroupfs"))
		return -1;
	pathf(cg, "%s/cg", fake_root);
	pathf(proc, "%s/proc", fake_root);

	/* containerd under kubelet's systemd driver */
	mkdirs("cg/" KUBEPODS_POD "/cri-containerd-" ID_A ".scope");
	/* its sandbox, to be told apart */
	mkdirs("cg/" KUBEPODS_POD "/cri-containerd-" ID_H ".scope");
	/* docker, systemd driver */
	mkdirs("cg/system.slice/docker-" ID_B ".scope");
	/* cri-o: conmon's scope beside the container's, and a child in the container's */
	mkdirs("cg/machine.slice/crio-conmon-" ID_C ".scope");
	mkdirs("cg/machine.slice/crio-" ID_C ".scope/container");
	/* containerd, cgroupfs driver: a directory named exactly the id */
	mkdirs("cg/kubepods/besteffort/pod0b9e/" ID_E);
	/* podman */
	mkdirs("cg/machine.slice/libpod-" ID_F ".scope");
	/* podman, cgroupfs driver */
	mkdirs("cg/libpod_parent/libpod-" ID_P);
	/* cri-o, cgroupfs driver: conmon's cgroup beside the container's */
	mkdirs("cg/kubepods/burstable/pod7c1e/crio-conmon-" ID_O);
	mkdirs("cg/kubepods/burstable/pod7c1e/crio-" ID_O);
	/* runc with a name of its own */
	mkdirs("cg/runc-tests/web-1");
	/* two ids sharing a 20-digit prefix */
	mkdirs("cg/system.slice/docker-" ID_G1 ".scope");
	mkdirs("cg/" KUBEPODS_POD "/cri-containerd-" ID_G2 ".scope");
	/* the same full id twice (and not nested): nothing to choose by */
	mkdirs("cg/system.slice/docker-" ID_H ".scope");
	/* a runtime that nests a directory named like its scope's id */
	mkdirs("cg/system.slice/docker-" ID_N ".scope/" ID_N);
	/* a full id that is also the 12-digit prefix of another */
	mkdirs("cg/runc-tests/559aead08264");
	/* names that must not answer to prefixes */
	mkdirs("cg/kubepods-besteffort.slice");
	/* levels 1..15 are d1..d15, level 16 is ID_DEEP, level 17 ID_DEEP "0" */
	mkdirs("cg/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/" ID_DEEP "/" ID_DEEP "0");
	/* a symlink out of the tree is not followed */
	mkdirs("outside/docker-" ID_LINK ".scope");
	{
		char target[PATH_MAX], link[PATH_MAX];

		pathf(target, "%s/outside", fake_root);
		pathf(link, "%s/cg/linked", fake_root);
		assert_int_equal(symlink(target, link), 0);
	}
	/* cgroup files, as in the real tree */
	write_file("cg/cgroup.procs", "");
	write_file("cg/system.slice/cgroup.procs", "1\n");

	/* /proc */
	mkdirs("proc/100");
	write_file("proc/100/cgroup", "12:pids:/system.slice/x.service\n"
				      "4:memory:/process_api/703aa2b67d47d9584c517f1b649c1b4e\n"
				      "1:name=systemd:/system.slice/x.service\n"
				      "0::/system.slice/docker-" ID_B ".scope\n");
	mkdirs("proc/200");
	write_file("proc/200/cgroup", "0::/" KUBEPODS_POD "/cri-containerd-" ID_A ".scope\n");
	mkdirs("proc/300");
	write_file("proc/300/cgroup", "2:cpu,cpuacct:/\n1:name=systemd:/init.scope\n");
	mkdirs("proc/400");
	write_file("proc/400/cgroup", "0::/\n");
	mkdirs("proc/500");
	write_file("proc/500/cgroup", "0::/../../kubepods/pod1/abc\n");
	mkdirs("proc/600");
	write_file("proc/600/cgroup", "0::/no-newline-at-end");
	mkdirs("proc/700");
	write_file("proc/700/cgroup", "");
	mkdirs("proc/800");
	write_file("proc/800/cgroup", "0::/../sibling/x\n");
	mkdirs("proc/900");
	write_file("proc/900/cgroup", "0::/../../../above\n");
	/* a namespace rooted at ns/pods/agent, where the test process "is" */
	mkdirs("ns/pods/agent");
	mkdirs("ns/pods/other");
	write_file("ns/pods/other/cgroup.procs", "1\n2\n");
	{
		char self[32];

		snprintf(self, sizeof(self), "7\n%d\n", (int)getpid());
		write_file("ns/pods/agent/cgroup.procs", self);
	}
	return 0;
}

static int tree_teardown(void **state)
{
	(void)state;
	return fake_tree_remove();
}

/* ------------------------------------------------------------------ mountinfo */

static void mount_is(const char *file, const char *want)
{
	char out[PATH_MAX];

	memset(out, 0, sizeof(out));
	assert_int_equal(pn_cgroup2_mount(file, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_mount_hybrid(void **state)
{
	(void)state;
	mount_is(DATA "cgroupfs_mountinfo_hybrid", "/sys/fs/cgroup/unified");
}

static void test_mount_v2(void **state)
{
	(void)state;
	/* the first cgroup2 mount, not the bind mount of a subtree after it */
	mount_is(DATA "cgroupfs_mountinfo_v2", "/sys/fs/cgroup");
}

static void test_mount_escaped(void **state)
{
	(void)state;
	/* "cgroup2" as a mount point name or a source is not the type */
	mount_is(DATA "cgroupfs_mountinfo_escaped", "/run/my cgroup\\v2\ttab");
}

/*
 * A DaemonSet pod of its own cgroup namespace: the runtime's cgroup mount,
 * the node's tree (hostPath) over it; what is seen is the one on top.
 */
static void test_mount_root_in_a_cgroup_namespace(void **state)
{
	char out[PATH_MAX];

	(void)state;
	mount_is(DATA "cgroupfs_mountinfo_cgroupns", "/sys/fs/cgroup");
	assert_int_equal(
		pn_cgroup2_mount_root(DATA "cgroupfs_mountinfo_cgroupns", out, sizeof(out)), 0);
	assert_string_equal(out, "/../../../..");
	assert_int_equal(pn_cgroup2_mount_root(DATA "cgroupfs_mountinfo_v2", out, sizeof(out)), 0);
	assert_string_equal(out, "/");
}

static void test_mount_errors(void **state)
{
	char out[PATH_MAX], tiny[8];

	(void)state;
	assert_int_equal(pn_cgroup2_mount(DATA "cgroupfs_mountinfo_v1only", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(pn_cgroup2_mount(DATA "cgroupfs_no_such_file", out, sizeof(out)), -ENOENT);
	assert_int_equal(pn_cgroup2_mount(DATA "cgroupfs_mountinfo_v2", tiny, sizeof(tiny)),
			 -ENAMETOOLONG);
}

static void test_mount_this_machine(void **state)
{
	char out[PATH_MAX];
	struct stat st;
	int ret;

	(void)state;
	ret = pn_cgroup2_mount("/proc/self/mountinfo", out, sizeof(out));
	if (ret == -ENOENT)
		skip(); /* no cgroup2 here */
	assert_int_equal(ret, 0);
	assert_int_equal(stat(out, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

/* ------------------------------------------------------------------ ids, levels */

static void test_cgroup_id_fake_tree(void **state)
{
	char p[PATH_MAX];
	struct stat st;
	uint64_t id = 0;

	(void)state;
	pathf(p, "%s/system.slice/docker-%s.scope", cg, ID_B);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(pn_cgroup_id(p, &id), 0);
	assert_int_equal(id, st.st_ino);

	pathf(p, "%s/cgroup.procs", cg);
	assert_int_equal(pn_cgroup_id(p, &id), -ENOTDIR);
	pathf(p, "%s/no-such-cgroup", cg);
	assert_int_equal(pn_cgroup_id(p, &id), -ENOENT);

	/* a directory outside the fake tree and off cgroup2 has no id, not its st_ino */
	assert_int_equal(pn_cgroup_id("/etc", &id), -EMEDIUMTYPE);
	pn_cgroupfs_fake_root(NULL);
	assert_int_equal(pn_cgroup_id(cg, &id), -EMEDIUMTYPE);
	pn_cgroupfs_fake_root(fake_root);
}

static void test_cgroup_id_real(void **state)
{
	char root[PATH_MAX], mine[PATH_MAX];
	struct stat st;
	uint64_t id = 0;

	(void)state;
	if (pn_cgroup2_mount("/proc/self/mountinfo", root, sizeof(root)))
		skip();
	/* the root cgroup's id is 1, as bpf_get_current_cgroup_id() says in it */
	assert_int_equal(pn_cgroup_id(root, &id), 0);
	assert_int_equal(id, 1);

	/* on 64-bit kernels the kernfs id is the inode number too */
	assert_int_equal(pn_cgroup_of_pid("/proc", root, getpid(), mine, sizeof(mine)), 0);
	assert_int_equal(pn_cgroup_id(mine, &id), 0);
	assert_int_equal(stat(mine, &st), 0);
	if (sizeof(long) == 8)
		assert_int_equal(id, st.st_ino);
}

static void test_cgroup_level(void **state)
{
	(void)state;
	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup", "/sys/fs/cgroup"), 0);
	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup/", "/sys/fs/cgroup"), 0);
	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup", "/sys/fs/cgroup///"), 0);
	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup", "/sys/fs/cgroup/a"), 1);
	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified/a/b/"),
			 2);
	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup", "/sys/fs/cgroup//a//b/./c"), 3);
	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup", "/sys/fs/cgroup/" KUBEPODS_POD
							   "/cri-containerd-" ID_A ".scope"),
			 4);
	assert_int_equal(pn_cgroup_level("/", "/a/b"), 2);
	assert_int_equal(pn_cgroup_level("/", "/"), 0);

	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup", "/sys/fs/cgroupx/a"), -EINVAL);
	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup/unified", "/sys/fs/cgroup"), -EINVAL);
	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup", "/proc/1"), -EINVAL);
	assert_int_equal(pn_cgroup_level("/sys/fs/cgroup", "/sys/fs/cgroup/a/../../x"), -EINVAL);
	assert_int_equal(pn_cgroup_level("/", "a/b"), -EINVAL);
}

/* ------------------------------------------------------------------ pids */

static void pid_is(pid_t pid, const char *root, const char *want)
{
	char out[PATH_MAX];

	assert_int_equal(pn_cgroup_of_pid(proc, root, pid, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_cgroup_of_pid(void **state)
{
	char out[PATH_MAX];

	(void)state;
	/* hybrid: v1 lines first */
	pid_is(100, "/sys/fs/cgroup/unified",
	       "/sys/fs/cgroup/unified/system.slice/docker-" ID_B ".scope");
	pid_is(200, "/sys/fs/cgroup/",
	       "/sys/fs/cgroup/" KUBEPODS_POD "/cri-containerd-" ID_A ".scope");
	pid_is(400, "/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified");
	pid_is(400, "/sys/fs/cgroup/", "/sys/fs/cgroup");
	pid_is(400, "/", "/");
	pid_is(600, "/cg", "/cg/no-newline-at-end");

	assert_int_equal(pn_cgroup_of_pid(proc, "/sys/fs/cgroup", 300, out, sizeof(out)), -ENOENT);
	assert_int_equal(pn_cgroup_of_pid(proc, "/sys/fs/cgroup", 700, out, sizeof(out)), -ENOENT);
	assert_int_equal(pn_cgroup_of_pid(proc, "/sys/fs/cgroup", 999, out, sizeof(out)), -ESRCH);
	assert_int_equal(pn_cgroup_of_pid(proc, "/sys/fs/cgroup", 0, out, sizeof(out)), -ESRCH);
	assert_int_equal(pn_cgroup_of_pid(proc, "/sys/fs/cgroup", -5, out, sizeof(out)), -ESRCH);
	/* outside our cgroup namespace */
	assert_int_equal(pn_cgroup_of_pid(proc, "/sys/fs/cgroup", 500, out, sizeof(out)), -EXDEV);
	assert_int_equal(pn_cgroup_of_pid(proc, "/sys/fs/cgroup", 100, out, 20), -ENAMETOOLONG);

	/* a subtree mounted (no namespace of ours): what lies below its root as printed */
	assert_int_equal(pn_cgroupfs_place_namespace("/host/cg", "/kubepods.slice/", 1), 0);
	pid_is(200, "/host/cg",
	       "/host/cg/kubepods-burstable.slice/kubepods-burstable-pod6f1c9d7e_2b1a_4c3d_9e8f_"
	       "0a1b2c3d4e5f.slice/cri-containerd-" ID_A ".scope");
	/* whole components: /kube is not where /kubepods.slice lies */
	assert_int_equal(pn_cgroupfs_place_namespace("/host/cg", "/kube", 1), 0);
	assert_int_equal(pn_cgroup_of_pid(proc, "/host/cg", 200, out, sizeof(out)), -EXDEV);
	pn_cgroupfs_place_namespace("/host/cg", "/", 1);
}

/* The host's tree mounted in a container of its own cgroup namespace. */
static void test_cgroup_of_pid_from_a_namespace(void **state)
{
	char ns[PATH_MAX], out[PATH_MAX], want[PATH_MAX];

	(void)state;
	pathf(ns, "%s/ns", fake_root);
	/* two levels above us: our cgroup is found two levels down, the others placed from it */
	assert_int_equal(pn_cgroupfs_place_namespace(ns, "/../..", getpid()), 0);
	pathf(want, "%s/pods/agent", ns);
	pid_is(400, ns, want);
	pathf(want, "%s/pods/sibling/x", ns);
	pid_is(800, ns, want);
	pathf(want, "%s/kubepods/pod1/abc", ns);
	pid_is(500, ns, want);
	pathf(want, "%s/pods/agent/" KUBEPODS_POD "/cri-containerd-" ID_A ".scope", ns);
	pid_is(200, ns, want);
	/* above the mount's root: not in the tree it shows */
	assert_int_equal(pn_cgroup_of_pid(proc, ns, 900, out, sizeof(out)), -EXDEV);

	/* not found (we moved since): only what lies below the printed root is placed */
	assert_int_equal(pn_cgroupfs_place_namespace(ns, "/..", getpid()), -ENOENT);
	pathf(want, "%s/sibling/x", ns);
	pid_is(800, ns, want);
	assert_int_equal(pn_cgroup_of_pid(proc, ns, 200, out, sizeof(out)), -EXDEV);
	assert_int_equal(pn_cgroupfs_place_namespace(ns, NULL, getpid()), 0);
}

/* ------------------------------------------------------------------ container refs */

static void ref_is(const char *ref, const char *runtime, const char *id)
{
	char rt[16], cid[128], err[256] = "";

	assert_int_equal(
		pn_container_ref_parse(ref, rt, sizeof(rt), cid, sizeof(cid), err, sizeof(err)), 0);
	assert_string_equal(rt, runtime);
	assert_string_equal(cid, id);
	assert_string_equal(err, "");
}

static void ref_bad(const char *ref, const char *want_err)
{
	char rt[16], cid[128], err[256] = "";

	assert_int_equal(
		pn_container_ref_parse(ref, rt, sizeof(rt), cid, sizeof(cid), err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, want_err);
}

static void test_container_ref_parse(void **state)
{
	char rt[16], cid[16];

	(void)state;
	ref_is("docker://" ID_B, "docker", ID_B);
	ref_is("containerd://" ID_A, "containerd", ID_A);
	ref_is("cri-o://" ID_C, "cri-o", ID_C);
	ref_is("runc://web-1", "runc", "web-1");
	ref_is(ID_E, "", ID_E);
	ref_is("web-1", "", "web-1");

	ref_bad("podman://abc", "unknown container runtime \"podman\" in \"podman://abc\"; valid: "
				"docker://, containerd://, cri-o://, runc:// or a bare id");
	ref_bad("crio://abc", "unknown container runtime \"crio\" in \"crio://abc\"; valid: "
			      "docker://, containerd://, cri-o://, runc:// or a bare id");
	ref_bad("://abc", "unknown container runtime \"\" in \"://abc\"; valid: "
			  "docker://, containerd://, cri-o://, runc:// or a bare id");
	ref_bad("Docker://abc", "unknown container runtime \"Docker\" in \"Docker://abc\"; valid: "
				"docker://, containerd://, cri-o://, runc:// or a bare id");
	ref_bad("docker://", "empty container id in \"docker://\"");
	ref_bad("", "empty container id in \"\"");
	ref_bad("containerd://a/b", "container id \"a/b\" in \"containerd://a/b\" must not contain "
				    "'/'");
	ref_bad("../../etc", "container id \"../../etc\" in \"../../etc\" must not contain '/'");

	/* too long for the caller's buffer; no message buffer at all is fine */
	assert_int_equal(
		pn_container_ref_parse("docker://" ID_B, rt, sizeof(rt), cid, sizeof(cid), NULL, 0),
		-EINVAL);
	assert_int_equal(pn_container_ref_parse(NULL, rt, sizeof(rt), cid, sizeof(cid), NULL, 0),
			 -EINVAL);
}

/* ------------------------------------------------------------------ containers */

static void container_is(const char *ref, const char *want_rel)
{
	char out[PATH_MAX], want[PATH_MAX];

	pathf(want, "%s/%s", cg, want_rel);
	memset(out, 0, sizeof(out));
	assert_int_equal(pn_cgroup_of_container(cg, ref, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void container_err(const char *ref, int err)
{
	char out[PATH_MAX];

	assert_int_equal(pn_cgroup_of_container(cg, ref, out, sizeof(out)), err);
}

static void test_container_scopes(void **state)
{
	(void)state;
	container_is("containerd://" ID_A, KUBEPODS_POD "/cri-containerd-" ID_A ".scope");
	container_is("docker://" ID_B, "system.slice/docker-" ID_B ".scope");
	/* not crio-conmon-ID.scope, not crio-ID.scope/container */
	container_is("cri-o://" ID_C, "machine.slice/crio-" ID_C ".scope");
	container_is("containerd://" ID_E, "kubepods/besteffort/pod0b9e/" ID_E);
	container_is(ID_F, "machine.slice/libpod-" ID_F ".scope");
	/* the cgroupfs driver's names: podman's libpod-ID, cri-o's crio-ID (not its conmon) */
	container_is("docker://" ID_P, "libpod_parent/libpod-" ID_P);
	container_is("cri-o://" ID_O, "kubepods/burstable/pod7c1e/crio-" ID_O);
	container_is("runc://web-1", "runc-tests/web-1");
	/* a runtime prefix does not restrict the naming scheme */
	container_is("runc://" ID_B, "system.slice/docker-" ID_B ".scope");
	/* a match inside a match is the same container: the outer one is its cgroup */
	container_is("docker://" ID_N, "system.slice/docker-" ID_N ".scope");
}

static void test_container_prefix(void **state)
{
	(void)state;
	container_is("containerd://559aead08264d5", KUBEPODS_POD "/cri-containerd-" ID_A ".scope");
	container_is("df7e70e50215", "system.slice/docker-" ID_B ".scope");
	container_is("cri-o://6b23c0d5f35d", "machine.slice/crio-" ID_C ".scope");
	container_is("a9f51566bd67", "kubepods/besteffort/pod0b9e/" ID_E);
	container_is("7d3ba1c0e5f2", "libpod_parent/libpod-" ID_P);
	container_is("cri-o://8e4cb2d1f603", "kubepods/burstable/pod7c1e/crio-" ID_O);
	/* a full id (runc's "559aead08264") beats the longer ids it is a prefix of */
	container_is("runc://559aead08264", "runc-tests/559aead08264");
	/* shorter than 12: no prefix match */
	container_err("df7e70e5021", -ENOENT);
	/* prefixes only of id-looking names */
	container_err("kubepods-bes", -ENOENT);
	container_err("kubepods-besteffort", -ENOENT);
	container_is("kubepods-besteffort.slice", "kubepods-besteffort.slice");
	/* a prefix shared by two ids */
	container_err("333e0a1e27815d0c", -EEXIST);
	container_is("333e0a1e27815d0ceee55", "system.slice/docker-" ID_G1 ".scope");
	container_is("docker://" ID_G2, KUBEPODS_POD "/cri-containerd-" ID_G2 ".scope");
}

static void test_container_errors(void **state)
{
	char out[PATH_MAX], tiny[16];

	(void)state;
	/* the same id in two places */
	container_err("containerd://" ID_H, -EEXIST);
	container_err("docker://0123456789abcdef0123456789abcdef", -ENOENT);
	container_err("docker://nothing-like-it", -ENOENT);
	container_err("podman://" ID_A, -EINVAL);
	container_err("docker://", -EINVAL);
	container_err("docker://a/b", -EINVAL);
	/* conmon's own cgroup is not a container's */
	container_err("conmon-" ID_C, -ENOENT);
	/* symlinks are not followed */
	container_err("docker://" ID_LINK, -ENOENT);
	/* the root itself is nobody's container */
	container_err("cg", -ENOENT);
	assert_int_equal(pn_cgroup_of_container(cg, "docker://" ID_B, tiny, sizeof(tiny)),
			 -ENAMETOOLONG);
	pathf(out, "%s/no-such-root", fake_root);
	assert_int_equal(pn_cgroup_of_container(out, "docker://" ID_B, out, sizeof(out)), -ENOENT);
}

static void test_container_depth(void **state)
{
	(void)state;
	/* level 16 is searched, level 17 is not */
	container_is(ID_DEEP, "d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/" ID_DEEP);
	container_err(ID_DEEP "0", -ENOENT);
}

static void identity_is(const char *path, const char *uid, const char *id)
{
	struct pn_cgroup_identity got;

	pn_cgroup_path_identity(path, &got);
	assert_string_equal(got.pod_uid, uid);
	assert_string_equal(got.container_id, id);
}

static void test_path_identity(void **state)
{
	(void)state;
	/* kubelet's two drivers, containerd below them */
	identity_is("/kubepods/besteffort/pod0b9e1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d/" ID_E,
		    "0b9e1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d", ID_E);
	identity_is("/" KUBEPODS_POD "/cri-containerd-" ID_A ".scope",
		    "6f1c9d7e-2b1a-4c3d-9e8f-0a1b2c3d4e5f", ID_A);
	identity_is("/kubepods.slice/kubepods-pod6f1c9d7e_2b1a_4c3d_9e8f_0a1b2c3d4e5f.slice/"
		    "crio-" ID_C ".scope/container",
		    "6f1c9d7e-2b1a-4c3d-9e8f-0a1b2c3d4e5f", ID_C);
	/* the pod's own cgroup: a uid, no container */
	identity_is("/" KUBEPODS_POD, "6f1c9d7e-2b1a-4c3d-9e8f-0a1b2c3d4e5f", "");
	/* outside Kubernetes: the runtime's id only */
	identity_is("/system.slice/docker-" ID_B ".scope", "", ID_B);
	identity_is("/libpod_parent/libpod-" ID_P, "", ID_P);
	identity_is("/docker/" ID_B "/", "", ID_B);
	/* not ids: conmon, short names, a uid of the wrong shape, an id above the pod */
	identity_is("/kubepods/burstable/pod7c1e/crio-conmon-" ID_O, "", "");
	identity_is("/runc-tests/web-1", "", "");
	identity_is("/kubepods/podnot-a-uid/abc", "", "");
	identity_is("/" ID_B "/kubepods/pod0b9e1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d",
		    "0b9e1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d", "");
	identity_is("", "", "");
	identity_is("/", "", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_hybrid),
		cmocka_unit_test(test_mount_v2),
		cmocka_unit_test(test_mount_escaped),
		cmocka_unit_test(test_mount_root_in_a_cgroup_namespace),
		cmocka_unit_test(test_cgroup_of_pid_from_a_namespace),
		cmocka_unit_test(test_mount_errors),
		cmocka_unit_test(test_mount_this_machine),
		cmocka_unit_test(test_cgroup_id_fake_tree),
		cmocka_unit_test(test_cgroup_id_real),
		cmocka_unit_test(test_cgroup_level),
		cmocka_unit_test(test_cgroup_of_pid),
		cmocka_unit_test(test_container_ref_parse),
		cmocka_unit_test(test_container_scopes),
		cmocka_unit_test(test_container_prefix),
		cmocka_unit_test(test_path_identity),
		cmocka_unit_test(test_container_errors),
		cmocka_unit_test(test_container_depth),
	};

	return cmocka_run_group_tests(tests, tree_setup, tree_teardown);
}
