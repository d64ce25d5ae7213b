// SPDX-License-Identifier: GPL-2.0-only
#include "pins.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"

#define BPFFS		"/sys/fs/bpf"
#define PN_BPF_FS_MAGIC 0xcafe4a11

void pn_pins_init(struct pn_pins *p)
{
	p->path[0] = '\0';
	p->lock = -1;
}

static bool on_bpffs(const char *p)
{
	struct statfs sfs;

	return statfs(p, &sfs) == 0 && (unsigned long)sfs.f_type == PN_BPF_FS_MAGIC;
}

/* Removes everything below dir (bpffs holds only pins and directories) but `spare`. */
static int remove_tree(int dirfd, const char *spare)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	/* the dup shares the directory offset of an earlier walk: start over */
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (spare && !strcmp(de->d_name, spare)))
			continue;
		if (de->d_type == DT_DIR) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (sub >= 0) {
				n += remove_tree(sub, NULL);
				close(sub);
			}
			unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
		} else if (unlinkat(dirfd, de->d_name, 0) == 0) {
			n++;
		}
	}
	closedir(d);
	return n;
}

/*
 * What a previous agent left here is not cleared yet: capture decides
 * whether to adopt it (same build, docs/operations.md "Restarts") or to
 * replace it (pn_pins_clear).
 */
int pn_pins_take(struct pn_pins *p, const char *dir, char *err, size_t errlen)
{
	int e;

	if (!on_bpffs(BPFFS)) {
		if (mount("bpf", BPFFS, "bpf", 0, NULL)) {
			e = -errno;
			snprintf(
				err, errlen,
				"--pin-path %s: no bpf filesystem at %s and mounting one failed: %s "
				"(%suse --pin-path \"\" to run without pins)",
				dir, BPFFS, strerror(-e),
				e == -EPERM ? "mounting needs root or CAP_SYS_ADMIN; " : "");
			return e;
		}
		pn_info("mounted the bpf filesystem at %s (for the pins under %s)", BPFFS, dir);
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		e = -errno;
		snprintf(err, errlen, "--pin-path %s: %s", dir, strerror(-e));
		return e;
	}
	if (!on_bpffs(dir)) {
		snprintf(err, errlen, "--pin-path %s: not on a bpf filesystem", dir);
		return -EINVAL;
	}
	p->lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->lock < 0) {
		e = -errno;
		snprintf(err, errlen, "--pin-path %s: %s", dir, strerror(-e));
		return e;
	}
	if (flock(p->lock, LOCK_EX | LOCK_NB)) {
		e = errno;
		close(p->lock);
		p->lock = -1;
		snprintf(err, errlen,
			 "--pin-path %s: in use by another running panoptesd (%s); give each agent "
			 "its own directory",
			 dir, strerror(e));
		return -EBUSY;
	}
	snprintf(p->path, sizeof(p->path), "%s", dir);
	return 0;
}

int pn_pins_clear(struct pn_pins *p)
{
	return p->lock < 0 ? 0 : remove_tree(p->lock, PN_PINS_GUARD);
}

int pn_pins_get(const struct pn_pins *p, const char *sub, const char *name)
{
	char path[sizeof(p->path) + 128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", p->path, sub, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

struct bpf_link *pn_pins_open_link(const struct pn_pins *p, const char *name)
{
	char path[sizeof(p->path) + 128];

	snprintf(path, sizeof(path), "%s/links/%s", p->path, name);
	/* none is an answer, not a warning from libbpf */
	if (access(path, F_OK))
		return NULL;
	return bpf_link__open(path);
}

const char *pn_pins_map_name(const char *map_name)
{
	if (strstr(map_name, ".rodata"))
		return "config";
	if (strstr(map_name, ".bss"))
		return "state";
	return map_name;
}

int pn_pins_reuse_maps(const struct pn_pins *p, struct bpf_object *obj, bool with_rodata, char *err,
		       size_t errlen)
{
	struct bpf_map *map;
	int fd, e;

	bpf_object__for_each_map(map, obj) {
		if (!with_rodata && strstr(bpf_map__name(map), ".rodata"))
			continue;
		fd = pn_pins_get(p, "maps", pn_pins_map_name(bpf_map__name(map)));
		if (fd < 0) {
			snprintf(err, errlen, "cannot open the pinned map %s: %s",
				 bpf_map__name(map), strerror(-fd));
			return fd;
		}
		e = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (e) {
			snprintf(err, errlen, "cannot reuse the pinned map %s: %s",
				 bpf_map__name(map), strerror(-e));
			return e;
		}
	}
	return 0;
}

static int pin_one(const char *dir, const char *sub, const char *name,
		   int (*pin)(void *, const char *), void *obj, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int e;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0700) && errno != EEXIST) {
		e = -errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(-e));
		return e;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	/* an adopting agent re-pins a program whose link died with the one before */
	if (unlink(path) && errno != ENOENT) {
		e = -errno;
		snprintf(err, errlen, "cannot replace %s: %s", path, strerror(-e));
		return e;
	}
	e = pin(obj, path);
	if (e)
		snprintf(err, errlen, "cannot pin %s: %s", path, strerror(-e));
	return e;
}

static int pin_map(void *m, const char *path)
{
	return bpf_map__pin(m, path);
}

static int pin_prog(void *p, const char *path)
{
	return bpf_program__pin(p, path);
}

static int pin_link(void *l, const char *path)
{
	return bpf_link__pin(l, path);
}

static int pin_fd(void *fd, const char *path)
{
	return bpf_obj_pin(*(int *)fd, path) ? -errno : 0;
}

int pn_pins_add_fd(const struct pn_pins *p, const char *sub, const char *name, int fd, char *err,
		   size_t errlen)
{
	return pin_one(p->path, sub, name, pin_fd, &fd, err, errlen);
}

int pn_pins_create(const struct pn_pins *p, struct bpf_object *obj, bool with_maps,
		   struct bpf_link *const *links, struct bpf_program *const *progs, size_t n_links,
		   char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int e;

	bpf_object__for_each_map(map, obj) {
		const char *name = pn_pins_map_name(bpf_map__name(map));

		if (!with_maps)
			break;
		e = pin_one(p->path, "maps", name, pin_map, map, err, errlen);
		if (e)
			return e;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog) || bpf_program__fd(prog) < 0)
			continue;
		e = pin_one(p->path, "progs", bpf_program__name(prog), pin_prog, prog, err, errlen);
		if (e)
			return e;
	}
	for (size_t i = 0; i < n_links; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s", bpf_program__name(progs[i]));
		e = pin_one(p->path, "links", name, pin_link, links[i], err, errlen);
		/*
		 * Before 5.15 (bpf: Implement minimal BPF perf link)
		 * libbpf attaches a tracepoint program through its perf event,
		 * which is not a BPF object and cannot be pinned. The program
		 * runs all the same; only its pin is missing.
		 */
		if (e == -EINVAL && bpf_program__type(progs[i]) == BPF_PROG_TYPE_TRACEPOINT) {
			pn_info("%s: not pinned (this kernel attaches tracepoint programs "
				"through perf events, which bpffs cannot hold; 5.15+ can)",
				bpf_program__name(progs[i]));
			continue;
		}
		if (e)
			return e;
	}
	return 0;
}

/* Is the directory at p->path still the one held open? (Not once its bpffs was unmounted.) */
static bool pins_in_place(const struct pn_pins *p)
{
	struct stat held, named;

	return fstat(p->lock, &held) == 0 && stat(p->path, &named) == 0 &&
	       held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

void pn_pins_release(struct pn_pins *p, bool keep)
{
	bool in_place;

	if (!p || p->lock < 0)
		return;
	in_place = pins_in_place(p);
	/*
	 * Cleared through the directory held open, wherever it is now: pinned
	 * links left in an unmounted bpffs would keep the hooks attached with
	 * nobody able to reach them.
	 */
	if (!keep)
		remove_tree(p->lock, NULL);
	if (!keep && in_place)
		rmdir(p->path);
	if (!in_place)
		pn_warn("--pin-path %s: the directory pinned into is no longer there (its bpf "
			"filesystem was unmounted?): %s",
			p->path,
			keep ? "nothing is left for the next agent to adopt" :
			       "pins cleared through the one held open");
	close(p->lock);
	p->lock = -1;
}
