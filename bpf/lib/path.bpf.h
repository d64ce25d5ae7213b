/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paths as the process sees them. Mirrors the kernel's prepend_path() in
 * fs/d_path.c: walk d_parent up to the task's root (task->fs->root), and at
 * the root of each mount continue from where that mount is mounted. For a
 * containerized process the root is the container's, so a file on overlayfs
 * or a bind mount reads /data/x, not a host path.
 *
 * Scratch contract (struct pn_scratch, lib/maps.bpf.h): the walk writes into
 * scratch->walk so that the path ends at walk[PN_PATH_MAX]; names are
 * prepended ("/name") and the start offset only moves down. A name passed
 * by the process is appended after walk[PN_PATH_MAX]. Nothing is read back
 * from walk after the hook returns.
 */
#ifndef PN_PATH_BPF_H
#define PN_PATH_BPF_H

#include "lib/file.bpf.h"
#include "lib/loop.bpf.h"
#include "lib/maps.bpf.h"

/* Enough steps for PATH_MAX of one-letter components. */
#define PN_WALK_STEPS (PN_PATH_MAX / 2)

static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt)
{
	return (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

/*
 * The root a name is looked up from, as userspace can tell it again once the
 * task is gone (agent/names.h): the mount id of the task's root, which the
 * kernel does not give to another mount while userspace holds this one open.
 * 0 when the root is a directory inside a mount (chroot to it): the id would
 * then name the mount's root, another place.
 */
static __always_inline __u32 path__root_id(struct task_struct *task)
{
	struct vfsmount *vfsmnt = BPF_CORE_READ(task, fs, root.mnt);

	if (!vfsmnt || BPF_CORE_READ(task, fs, root.dentry) != BPF_CORE_READ(vfsmnt, mnt_root))
		return 0;
	return (__u32)BPF_CORE_READ(real_mount(vfsmnt), mnt_id);
}

/*
 * Like prepend_name() in fs/d_path.c: puts "/" and the name in front of the
 * path built so far, which starts at buf[off]. A name that does not fit is
 * not cut: nothing is written, the path is marked truncated and the walk
 * stops (returns 1). tests/bpf/ runs this step against exact bytes.
 */
static __always_inline long path__prepend_name(struct path_walk *w, char *buf,
					       const unsigned char *name, __u32 len)
{
	__u32 off;

	/* d_name.len never exceeds NAME_MAX; the clamp gives the copy below a bound */
	if (len > PN_NAME_MAX)
		len = PN_NAME_MAX;
	if (len + 1 > w->off) {
		w->truncated = 1;
		return 1;
	}
	w->off -= len + 1;
	/*
	 * Both masks restate for the verifier what the tests above proved,
	 * off < PN_PATH_MAX and len <= PN_NAME_MAX (0xff): w->off is memory
	 * that changes from one loop step to the next, so its bound does not
	 * survive to here. The copy then ends below PN_PATH_MAX + PN_NAME_MAX,
	 * inside the 2 * PN_PATH_MAX walk buffer.
	 */
	off = w->off & (PN_PATH_MAX - 1);
	buf[off] = '/';
	bpf_probe_read_kernel(&buf[off + 1], len & PN_NAME_MAX, name);
	return 0;
}

/* One step of prepend_path(); returns 1 to stop. */
static long path__walk_step(__u32 index, void *ctx)
{
	struct path_walk_ref *ref = ctx;
	struct path_walk *w = ref->w;
	/* Locals, not w->...: BPF_CORE_READ would try to relocate our own struct. */
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	struct dentry *parent, *mnt_root;

	if (dentry == w->root_dentry && vfsmnt == w->root_mnt) {
		w->done = 1;
		return 1;
	}
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

		/* A disconnected dentry, or the top of a mount tree that does not
		 * contain the task's root (pipes, sockets, outside a chroot). */
		if (dentry != mnt_root || mnt_parent == mnt) {
			w->outside = 1;
			return 1;
		}
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		w->vfsmnt = (struct vfsmount *)((void *)mnt_parent +
						bpf_core_field_offset(struct mount, mnt));
		return 0;
	}

	if (path__prepend_name(w, ref->buf, BPF_CORE_READ(dentry, d_name.name),
			       BPF_CORE_READ(dentry, d_name.len)))
		return 1;
	w->dentry = parent;
	return 0;
}

/*
 * Builds the path of `p` into scratch->walk, ending at walk[PN_PATH_MAX]
 * (not NUL-terminated). Returns the start offset; the root itself yields an
 * empty string (start == PN_PATH_MAX). Sets *flags bits for truncation;
 * returns -1 if the object is outside the task's view.
 */
static __always_inline long path__walk(struct pn_scratch *s, struct task_struct *task,
				       struct dentry *dentry, struct vfsmount *vfsmnt, __u8 *flags)
{
	struct path_walk *w = &s->pw;
	/* bpf_loop wants its context on the stack; pointers kept there stay pointers */
	struct path_walk_ref ref = { .w = w, .buf = s->walk };

	w->dentry = dentry;
	w->vfsmnt = vfsmnt;
	w->mnt = real_mount(vfsmnt);
	w->root_dentry = BPF_CORE_READ(task, fs, root.dentry);
	w->root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	w->off = PN_PATH_MAX;
	w->done = 0;
	w->truncated = 0;
	w->outside = 0;
	loop__run(PN_WALK_STEPS, path__walk_step, &ref);
	/* the last name prepended may have used the step that would have seen the root */
	if (!w->done && !w->outside && w->dentry == w->root_dentry && w->vfsmnt == w->root_mnt)
		w->done = 1;
	if (w->outside)
		return -1;
	if (!w->done)
		w->truncated = 1; /* ran out of steps before the root */
	if (w->truncated)
		*flags |= PN_REC_TRUNCATED;
	return w->off;
}

/*
 * Copies walk[start, PN_PATH_MAX) + optional appended part into dst as a
 * NUL-terminated string and returns its size (NUL included). `tail` bytes
 * (NUL included) were already appended at walk[PN_PATH_MAX].
 */
static __always_inline __u32 path__emit(struct pn_scratch *s, long start, __u32 tail, char *dst)
{
	__u32 len;

	if (start < 0 || start > PN_PATH_MAX)
		return 0;
	if (tail == 0) {
		/* terminate in place: walk[PN_PATH_MAX] is ours */
		if (start == PN_PATH_MAX) {
			/* the root: "/" */
			s->walk[PN_PATH_MAX - 1] = '/';
			start = PN_PATH_MAX - 1;
		}
		s->walk[PN_PATH_MAX] = '\0';
		tail = 1;
	}
	len = PN_PATH_MAX - start + tail;
	if (len > PN_PATH_MAX) {
		/* keep the end: the part that names the object */
		start += len - PN_PATH_MAX;
		len = PN_PATH_MAX;
		s->rec.flags |= PN_REC_TRUNCATED;
	}
	/*
	 * start <= PN_PATH_MAX and len <= PN_PATH_MAX here. The masks restate
	 * that for the verifier, which does not carry those bounds through
	 * the clamp above; the slack of walk and of the record's data is what
	 * keeps every masked offset and length inside (struct pn_scratch).
	 */
	bpf_probe_read_kernel(dst, len & (2 * PN_PATH_MAX - 1),
			      &s->walk[start & (2 * PN_PATH_MAX - 1)]);
	return len;
}

/*
 * Path of a dentry on a mount: an open file's f_path, or a name the vfs
 * backend's LSM hooks see being created or removed. Returns its size (NUL
 * included), 0 if outside the task's view.
 */
static __always_inline __u32 path__of_dentry(struct pn_scratch *s, struct task_struct *task,
					     struct dentry *dentry, struct vfsmount *vfsmnt,
					     char *dst)
{
	long start = path__walk(s, task, dentry, vfsmnt, &s->rec.flags);

	return start < 0 ? 0 : path__emit(s, start, 0, dst);
}

/* A name in user memory (syscall argument) or kernel memory (struct filename). */
static __always_inline long name__read_str(char *dst, __u32 size, const char *name, bool user)
{
	return user ? bpf_probe_read_user_str(dst, size, name) :
		      bpf_probe_read_kernel_str(dst, size, name);
}

/*
 * Path of a name the process passed to an *at syscall, resolved the way the
 * kernel starts a lookup: absolute names from the task's root (already the
 * process's view), others from dfd or the cwd. The text is kept as passed
 * ("..", symlinks): userspace normalizes it lexically. An empty name
 * (AT_EMPTY_PATH) names dfd itself. `user`: the name is still in user
 * memory (syscall arguments), else the kernel's copy. Returns the size, 0 on
 * failure.
 */
static __always_inline __u32 path__of_name(struct pn_scratch *s, struct task_struct *task, long dfd,
					   const char *name, bool user, char *dst)
{
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	long start, n;
	char first = 0;

	if (!name)
		return 0;
	if (user)
		bpf_probe_read_user(&first, 1, name);
	else
		bpf_probe_read_kernel(&first, 1, name);
	if (first == '/') {
		n = name__read_str(dst, PN_PATH_MAX, name, user);
		if (n <= 0)
			return 0;
		if (n == PN_PATH_MAX)
			s->rec.flags |= PN_REC_TRUNCATED;
		return n;
	}

	if (dfd == PN_AT_FDCWD) {
		dentry = BPF_CORE_READ(task, fs, pwd.dentry);
		vfsmnt = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *f = file__from_fd(task, dfd);

		if (!f)
			return 0;
		dentry = BPF_CORE_READ(f, f_path.dentry);
		vfsmnt = BPF_CORE_READ(f, f_path.mnt);
	}
	start = path__walk(s, task, dentry, vfsmnt, &s->rec.flags);
	if (start < 0)
		return 0;
	if (first == '\0')
		return path__emit(s, start, 0, dst);

	s->walk[PN_PATH_MAX] = '/';
	n = name__read_str(&s->walk[PN_PATH_MAX + 1], PN_PATH_MAX - 1, name, user);
	if (n <= 0)
		return 0;
	return path__emit(s, start, n + 1, dst);
}

/*
 * Where a record's path comes from: a dentry on a mount (an open file, or a
 * name an LSM hook sees), or a name the process passed, relative to a dirfd.
 * Builders that serve both backends take one of these; `by_name` is a
 * constant at every call, so each program keeps only the walk it uses.
 */
struct path_src {
	bool by_name;
	bool user; /* by_name: the text is still in user memory */
	long dfd;
	const char *name;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
};

static __always_inline struct path_src path_src__dentry(struct dentry *dentry,
							struct vfsmount *vfsmnt)
{
	return (struct path_src){ .dentry = dentry, .vfsmnt = vfsmnt };
}

static __always_inline struct path_src path_src__name(long dfd, const char *name, bool user)
{
	return (struct path_src){ .by_name = true, .user = user, .dfd = dfd, .name = name };
}

/* The path `src` names, into dst; its size (NUL included), 0 when it has none. */
static __always_inline __u32 path__of(struct pn_scratch *s, struct task_struct *task,
				      const struct path_src *src, char *dst)
{
	if (src->by_name)
		return path__of_name(s, task, src->dfd, src->name, src->user, dst);
	return path__of_dentry(s, task, src->dentry, src->vfsmnt, dst);
}

#endif
