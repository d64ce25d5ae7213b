# SPDX-License-Identifier: GPL-2.0-only
"""Debian kernel packages for the VM matrix: choose, download, extract, cache.

A kernel lives in <cache>/<package>/root, the package extracted with
dpkg-deb -x (never installed), plus a modules.dep that depmod generates there
(the package does not ship one: its postinst would). The "ready" stamp is
written last, so an interrupted download or extraction is redone.
"""
import glob
import gzip
import lzma
import os
import re
import shutil
import subprocess

# --kernel shorthands: the regular amd64 flavour of each series Debian 12
# ships (not -cloud, whose config drops drivers, nor -rt).
SERIES = {
    "6.1": r"linux-image-6\.1\.0-[0-9]+-amd64-unsigned",
    "6.12": r"linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned",
}


class KernelError(Exception):
    """A kernel could not be chosen, fetched or prepared; the message says why."""


def default_cache():
    if os.environ.get("PN_VM_CACHE"):
        return os.environ["PN_VM_CACHE"]
    if os.environ.get("XDG_CACHE_HOME"):
        return os.path.join(os.environ["XDG_CACHE_HOME"], "panoptes-vm")
    return "/var/cache/panoptes-vm"


def _run(argv, package, **kw):
    """subprocess.run with the output captured; a missing tool is named with
    the Debian package that has it. sbin is searched too: depmod is there
    and a root shell's PATH may lack it."""
    exe = shutil.which(argv[0], path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not exe:
        raise KernelError(f"{argv[0]} not found: install {package} (scripts/deps)")
    return subprocess.run([exe] + argv[1:], capture_output=True, **kw)


def _newest(names):
    # Package names carry the ABI or patch level as integers (6.1.0-56,
    # 6.12.117): comparing the integer tuples orders them by release.
    return max(names, key=lambda n: [int(x) for x in re.findall(r"[0-9]+", n)])


def _apt_search(pattern):
    out = _run(["apt-cache", "search", "--names-only", f"^{pattern}$"], "apt", text=True)
    return [line.split(" ", 1)[0] for line in out.stdout.splitlines() if line.strip()]


def _apt_update():
    print("vm: apt-get update (no package lists for the kernel)", flush=True)
    p = _run(["apt-get", "update", "-qq"], "apt", text=True)
    if p.returncode != 0:
        raise KernelError(f"apt-get update failed: {p.stderr.strip()}")


def _cached(cache, pattern):
    return [os.path.basename(os.path.dirname(stamp))
            for stamp in glob.glob(os.path.join(cache, "*", "ready"))
            if re.fullmatch(pattern, os.path.basename(os.path.dirname(stamp)))]


def choose(kernel, cache):
    """The package name for --kernel: a series shorthand (newest in apt, or
    PN_VM_KERNEL_<series> with dots as underscores) or a package name."""
    if kernel not in SERIES:
        if not kernel.startswith("linux-image-"):
            raise KernelError(f"--kernel {kernel}: give a series ({', '.join(SERIES)}) "
                              "or a Debian package name such as linux-image-6.1.0-56-amd64-unsigned")
        return kernel
    override = os.environ.get("PN_VM_KERNEL_" + kernel.replace(".", "_"))
    if override:
        return override
    pattern = SERIES[kernel]
    names = _apt_search(pattern)
    if not names:
        # No package lists (fresh container) or no network: a kernel already
        # in the cache is as good as any; otherwise fetch the lists once.
        names = _cached(cache, pattern)
    if not names:
        _apt_update()
        names = _apt_search(pattern)
    if not names:
        raise KernelError(f"no Debian package matches {pattern} in apt-cache: check "
                          "/etc/apt/sources.list (bookworm and bookworm-security)")
    return _newest(names)


class Kernel:
    """An extracted kernel package: vmlinuz, release, and its modules."""

    def __init__(self, root):
        self.root = root
        vmlinuz = glob.glob(os.path.join(root, "boot", "vmlinuz-*"))
        if len(vmlinuz) != 1:
            raise KernelError(f"{root}/boot: expected one vmlinuz-*, found {len(vmlinuz)}; "
                              "remove the directory to fetch the package again")
        self.vmlinuz = vmlinuz[0]
        self.release = os.path.basename(self.vmlinuz)[len("vmlinuz-"):]
        self.moddir = os.path.join(root, "lib", "modules", self.release)

    def modules(self, names):
        """[(name, path)] of the modules `names` need, dependencies first;
        modules built into the kernel (modules.builtin) are left out."""
        with open(os.path.join(self.moddir, "modules.builtin")) as f:
            builtin = {_modname(line.strip()) for line in f if line.strip()}
        deps = {}
        with open(os.path.join(self.moddir, "modules.dep")) as f:
            for line in f:
                mod, _, rest = line.partition(":")
                deps[_modname(mod)] = (mod, [_modname(d) for d in rest.split()])
        order = []

        def visit(name):
            if name in builtin or any(n == name for n, _ in order):
                return
            if name not in deps:
                raise KernelError(f"kernel {self.release} has no module {name} "
                                  "(neither built in nor in modules.dep)")
            path, needs = deps[name]
            for d in needs:
                visit(d)
            order.append((name, os.path.join(self.moddir, path)))

        for n in names:
            visit(n)
        return order


def _modname(path):
    # kernel/net/9p/9pnet_virtio.ko.xz -> 9pnet_virtio (dashes and
    # underscores are the same to the kernel; modules.dep keeps the file's)
    return os.path.basename(path).split(".ko")[0].replace("-", "_")


def read_module(path):
    """A module's ELF image: the guest's insmod gets it uncompressed, so it
    needs neither busybox's decompressors nor the kernel's."""
    if path.endswith(".ko"):
        with open(path, "rb") as f:
            return f.read()
    if path.endswith(".ko.xz"):
        with lzma.open(path) as f:
            return f.read()
    if path.endswith(".ko.gz"):
        with gzip.open(path) as f:
            return f.read()
    if path.endswith(".ko.zst"):
        p = _run(["zstd", "-dc", path], "zstd")
        if p.returncode != 0:
            raise KernelError(f"zstd -dc {path} failed: {p.stderr.decode().strip()}")
        return p.stdout
    raise KernelError(f"{path}: unknown module compression")


def fetch(package, cache):
    """The extracted kernel for `package`, downloading it on first use."""
    pkgdir = os.path.join(cache, package)
    root = os.path.join(pkgdir, "root")
    stamp = os.path.join(pkgdir, "ready")
    if os.path.exists(stamp):
        return Kernel(root)
    shutil.rmtree(pkgdir, ignore_errors=True)
    os.makedirs(pkgdir)
    try:
        kernel = _download_extract(package, pkgdir, root)
    except BaseException:
        shutil.rmtree(pkgdir, ignore_errors=True)
        raise
    with open(stamp, "w") as f:
        f.write(package + "\n")
    return kernel


def _download_extract(package, pkgdir, root):
    print(f"vm: downloading {package} into {pkgdir}", flush=True)
    # The sandbox user _apt cannot write to a root-owned cache directory.
    download = ["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", package]
    p = _run(download, "apt", cwd=pkgdir, text=True)
    # Lists missing (fresh container) or stale (the mirror dropped that
    # version: 404): fetch them once and retry.
    if p.returncode != 0 and any(s in p.stderr for s in
                                 ("Unable to locate package", "Can't select", "404")):
        _apt_update()
        p = _run(download, "apt", cwd=pkgdir, text=True)
    if p.returncode != 0:
        raise KernelError(f"apt-get download {package} failed: {p.stderr.strip()}")
    debs = glob.glob(os.path.join(pkgdir, "*.deb"))
    if len(debs) != 1:
        raise KernelError(f"apt-get download {package} left {len(debs)} .deb files in {pkgdir}")
    p = _run(["dpkg-deb", "-x", debs[0], root], "dpkg", text=True)
    if p.returncode != 0:
        raise KernelError(f"dpkg-deb -x {debs[0]} failed: {p.stderr.strip()}")
    kernel = Kernel(root)
    p = _run(["depmod", "-b", root, kernel.release], "kmod", text=True)
    if p.returncode != 0:
        raise KernelError(f"depmod -b {root} {kernel.release} failed: {p.stderr.strip()}")
    # The extracted tree is all later runs need.
    os.unlink(debs[0])
    return kernel
