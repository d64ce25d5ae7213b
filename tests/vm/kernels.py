# SPDX-License-Identifier: GPL-2.0-only
"""Debian kernel packages for the VM matrix: choose, download, extract, cache.

Every kernel comes from Debian's mirror through apt with a private
configuration (sources, lists and archives under the cache directory, the
Debian archive keyring): the machine's own sources and dpkg state are never
read or changed. A kernel lives in <cache>/<package>/root, its package or
packages extracted with dpkg-deb -x (never installed), plus a modules.dep that
depmod generates there (the packages do not ship one: a postinst would). The
"ready" stamp is written last, so an interrupted download or extraction is
redone.

Two packagings: one linux-image-* package with boot/vmlinuz-<release> and
lib/modules/<release> (bullseye, bookworm), or, in trixie-backports from
6.19 on, a linux-image-* metapackage over linux-binary-* (usr/lib/modules/
<release>/vmlinuz), linux-modules-* (the modules) and linux-base-*
(modules.builtin, config).
"""
import contextlib
import fcntl
import glob
import gzip
import lzma
import os
import re
import shutil
import subprocess
import time

MIRROR = "http://deb.debian.org/"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# (archive, suite) per architecture, oldest first: where each kernel of the
# matrix is published. The security suites carry the newest point releases of
# 5.10, 6.1 and 6.12; trixie-backports the newest kernel Debian builds.
SUITES = {
    "amd64": [("debian", "bullseye"), ("debian-security", "bullseye-security"),
              ("debian", "bookworm"), ("debian-security", "bookworm-security"),
              ("debian-security", "trixie-security"), ("debian", "trixie-backports")],
    "arm64": [("debian", "bookworm"), ("debian-security", "bookworm-security")],
}
# --kernel shorthands: the regular flavour of each series (not -cloud, whose
# config drops drivers, nor -rt); {arch} is the Debian architecture.
# "newest" is the highest release of any suite above, whatever its series.
SERIES = {
    "5.10": r"linux-image-5\.10\.0-[0-9]+-{arch}-unsigned",
    "6.1": r"linux-image-6\.1\.0-[0-9]+-{arch}-unsigned",
    "6.12": r"linux-image-6\.12\.[0-9]+\+deb12-{arch}-unsigned",
    "newest": r"linux-image-[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+|\+deb[0-9]+)-{arch}(-unsigned)?",
}
# Package lists older than this are fetched again before a shorthand is
# resolved, so "newest" follows the mirror without a download on every boot.
LISTS_MAX_AGE = 24 * 3600


class KernelError(Exception):
    """A kernel could not be chosen, fetched or prepared; the message says why."""


def default_cache():
    if os.environ.get("PN_VM_CACHE"):
        return os.environ["PN_VM_CACHE"]
    if os.environ.get("XDG_CACHE_HOME"):
        return os.path.join(os.environ["XDG_CACHE_HOME"], "panoptes-vm")
    return "/var/cache/panoptes-vm"


@contextlib.contextmanager
def locked(cache):
    """Serializes runners sharing the cache (ctest's RUN_SERIAL covers one
    ctest only): two would otherwise extract into the same directory."""
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, "lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def pin_variable(shorthand):
    return "PN_VM_KERNEL_" + shorthand.upper().replace(".", "_")


def _run(argv, package, **kw):
    """subprocess.run with the output captured; a missing tool is named with
    the Debian package that has it. sbin is searched too: depmod is there
    and a root shell's PATH may lack it."""
    exe = shutil.which(argv[0], path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not exe:
        raise KernelError(f"{argv[0]} not found: install {package} (scripts/deps)")
    return subprocess.run([exe] + argv[1:], capture_output=True, **kw)


class Apt:
    """apt for downloads only, configured entirely under <cache>/apt-<arch>:
    its own sources list, lists, archives and an empty dpkg status, and no
    part of /etc/apt (the machine's apt.conf.d may add index targets such as
    appstream metadata that a kernel download does not need)."""

    def __init__(self, cache, arch="amd64"):
        if arch not in SUITES:
            raise KernelError(f"no Debian suites configured for architecture {arch}")
        self.arch = arch
        self.dir = os.path.join(cache, f"apt-{arch}")
        self.lists = os.path.join(self.dir, "lists")
        self.stamp = os.path.join(self.dir, "updated")
        self.conf = os.path.join(self.dir, "apt.conf")
        self._configure()

    def _configure(self):
        for d in ("lists/partial", "archives/partial", "etc/apt.conf.d",
                  "etc/sources.list.d", "etc/preferences.d"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        if not os.path.exists(KEYRING):
            raise KernelError(f"{KEYRING} is missing: install debian-archive-keyring")
        sources = "".join(f"deb [signed-by={KEYRING}] {MIRROR}{archive} {suite} main\n"
                          for archive, suite in SUITES[self.arch])
        d = self.dir
        conf = f"""\
Dir::Etc::SourceList "{d}/etc/sources.list";
Dir::Etc::SourceParts "{d}/etc/sources.list.d";
Dir::Etc::Parts "{d}/etc/apt.conf.d";
Dir::Etc::Preferences "{d}/etc/preferences";
Dir::Etc::PreferencesParts "{d}/etc/preferences.d";
Dir::State "{d}";
Dir::State::Lists "{d}/lists";
Dir::State::status "{d}/status";
Dir::Cache "{d}";
Dir::Cache::archives "{d}/archives";
APT::Architecture "{self.arch}";
APT::Architectures {{ "{self.arch}"; }};
Acquire::Languages "none";
Acquire::GzipIndexes "true";
// The sandbox user _apt cannot write to a root-owned cache directory.
APT::Sandbox::User "root";
"""
        for name, text in (("etc/sources.list", sources), ("apt.conf", conf), ("status", "")):
            path = os.path.join(d, name)
            try:
                with open(path) as f:
                    if f.read() == text:
                        continue
            except FileNotFoundError:
                pass
            with open(path, "w") as f:
                f.write(text)
            if name == "etc/sources.list" and os.path.exists(self.stamp):
                os.unlink(self.stamp)

    def run(self, args, **kw):
        env = dict(os.environ, APT_CONFIG=self.conf)
        return _run(args, "apt", env=env, text=True, **kw)

    def has_lists(self):
        return os.path.exists(self.stamp)

    def update(self):
        suites = ", ".join(s for _, s in SUITES[self.arch])
        print(f"vm: apt-get update ({self.arch}: {suites}) into {self.dir}", flush=True)
        p = self.run(["apt-get", "update", "-qq"])
        # apt-get update exits 0 with only a warning when a mirror is
        # unreachable; a W: or E: line means the lists are incomplete.
        bad = [line for line in p.stderr.splitlines() if line.startswith(("E:", "W:"))]
        if p.returncode != 0 or bad:
            first = (bad or [p.stderr.strip()])[0]
            raise KernelError(f"cannot fetch Debian's package lists from {MIRROR} (no network?): "
                              + first + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""))
        with open(self.stamp, "w") as f:
            f.write(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))

    def refresh(self):
        """Lists younger than LISTS_MAX_AGE, fetched if needed; stale lists
        that cannot be refreshed are used as they are, with a warning."""
        if self.has_lists() and time.time() - os.path.getmtime(self.stamp) < LISTS_MAX_AGE:
            return
        try:
            self.update()
        except KernelError as e:
            if not self.has_lists():
                raise
            print(f"vm: {e}; using the package lists of "
                  f"{time.ctime(os.path.getmtime(self.stamp))}", flush=True)

    def search(self, pattern):
        p = self.run(["apt-cache", "search", "--names-only", f"^{pattern}$"])
        names = [line.split(" ", 1)[0] for line in p.stdout.splitlines() if line.strip()]
        return [n for n in names if re.fullmatch(pattern, n)]

    def depends(self, package):
        """The package's Depends names, or None if apt does not know it."""
        p = self.run(["apt-cache", "show", "--no-all-versions", package])
        if p.returncode != 0 or not p.stdout.strip():
            return None
        for line in p.stdout.splitlines():
            if line.startswith("Depends:"):
                return [alt.split()[0] for alt in re.split(r"[,|]", line[len("Depends:"):])
                        if alt.strip()]
        return []

    def download(self, packages, where):
        return self.run(["apt-get", "download", "-q"] + packages, cwd=where)


def _version_key(name):
    # Package names carry the release as integers (5.10.0-46, 6.12.117+deb12,
    # 7.3.4+deb13): comparing the integer tuples orders them by release.
    return [int(x) for x in re.findall(r"[0-9]+", name)]


def _pick(names):
    """The newest of `names`; of a release offered both signed and
    -unsigned, the -unsigned package (the same kernel, without the
    signed-template indirection)."""
    best = max(names, key=_version_key)
    unsigned = best if best.endswith("-unsigned") else best + "-unsigned"
    return unsigned if unsigned in names else best


def _cached(cache, pattern):
    return [os.path.basename(os.path.dirname(stamp))
            for stamp in glob.glob(os.path.join(cache, "*", "ready"))
            if re.fullmatch(pattern, os.path.basename(os.path.dirname(stamp)))]


def _check_name(package, where):
    if not re.fullmatch(r"linux-(image|binary)-[0-9][A-Za-z0-9.+~-]*", package):
        raise KernelError(f"{where} {package}: give a series ({', '.join(SERIES)}) or a Debian "
                          "kernel package such as linux-image-6.1.0-56-amd64-unsigned or "
                          "linux-image-7.3.4+deb13-amd64")
    return package


def choose(kernel, cache, arch="amd64"):
    """The package name for --kernel: a shorthand of SERIES (the newest
    release the mirror has, or PN_VM_KERNEL_<SHORTHAND> with dots as
    underscores, e.g. PN_VM_KERNEL_6_12, PN_VM_KERNEL_NEWEST) or a package."""
    if kernel not in SERIES:
        return _check_name(kernel, "--kernel")
    pin = os.environ.get(pin_variable(kernel))
    if pin:
        return _check_name(pin, pin_variable(kernel))
    pattern = SERIES[kernel].format(arch=arch)
    apt = Apt(cache, arch)
    try:
        apt.refresh()
    except KernelError as e:
        # No network: a kernel of the series already in the cache will do.
        cached = _cached(cache, pattern)
        if not cached:
            raise KernelError(f"--kernel {kernel}: {e}; no kernel of that series is in "
                              f"{cache} either") from None
        print(f"vm: {e}; using the cached {_pick(cached)}", flush=True)
        return _pick(cached)
    names = apt.search(pattern)
    if not names:
        suites = ", ".join(s for _, s in SUITES[arch])
        raise KernelError(f"--kernel {kernel}: no package matching {pattern} in {suites} "
                          f"({MIRROR}); pin one with {pin_variable(kernel)}=<package>")
    return _pick(names)


class Kernel:
    """An extracted kernel: vmlinuz, release, modules and config, in either
    packaging (boot/vmlinuz-<release> or usr/lib/modules/<release>/vmlinuz)."""

    def __init__(self, root):
        self.root = root
        found = [(p, os.path.basename(p)[len("vmlinuz-"):])
                 for p in glob.glob(os.path.join(root, "boot", "vmlinuz-*"))]
        found += [(p, os.path.basename(os.path.dirname(p)))
                  for p in glob.glob(os.path.join(root, "usr", "lib", "modules", "*", "vmlinuz"))]
        if len(found) != 1:
            raise KernelError(f"{root}: expected one boot/vmlinuz-* or "
                              f"usr/lib/modules/*/vmlinuz, found {len(found)}; "
                              "remove the directory to fetch the kernel again")
        self.vmlinuz, self.release = found[0]
        # lib/modules is usr/lib/modules in the split packaging (a symlink
        # fetch() adds, for depmod).
        self.moddir = os.path.join(root, "lib", "modules", self.release)
        config = [os.path.join(root, "boot", f"config-{self.release}"),
                  os.path.join(self.moddir, "config")]
        self.config = next((c for c in config if os.path.exists(c)), None)

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


def fetch(package, cache, arch="amd64"):
    """The extracted kernel for `package`, downloading it on first use."""
    pkgdir = os.path.join(cache, package)
    root = os.path.join(pkgdir, "root")
    stamp = os.path.join(pkgdir, "ready")
    if os.path.exists(stamp):
        return Kernel(root)
    shutil.rmtree(pkgdir, ignore_errors=True)
    os.makedirs(pkgdir)
    try:
        kernel = _download_extract(Apt(cache, arch), package, pkgdir, root)
    except BaseException:
        shutil.rmtree(pkgdir, ignore_errors=True)
        raise
    with open(stamp, "w") as f:
        f.write(package + "\n")
    return kernel


def _parts(apt, package):
    """The packages that make up the kernel `package` names: itself, or the
    binary/modules/base packages a split kernel's metapackage depends on."""
    try:
        if not apt.has_lists():
            apt.update()
    except KernelError as e:
        raise KernelError(f"{package}: {e}") from None
    deps = apt.depends(package)
    if deps is None:
        # Lists a day old may predate the package: fetch them once more.
        apt.update()
        deps = apt.depends(package)
    if deps is None:
        suites = ", ".join(s for _, s in SUITES[apt.arch])
        raise KernelError(f"no package {package} ({apt.arch}) in {suites} on {MIRROR}")
    release = re.sub(r"^linux-(image|binary)-|-unsigned$", "", package)
    split = [f"linux-{kind}-{release}" for kind in ("binary", "modules", "base")]
    if package.startswith("linux-binary-") or split[0] in deps:
        missing = [p for p in split[1:] if apt.depends(p) is None]
        if missing:
            raise KernelError(f"{package} is a split kernel but {', '.join(missing)} is not "
                              "on the mirror")
        return split
    return [package]


def _download_extract(apt, package, pkgdir, root):
    parts = _parts(apt, package)
    print(f"vm: downloading {' '.join(parts)} into {pkgdir}", flush=True)
    p = apt.download(parts, pkgdir)
    if p.returncode != 0 and "404" in p.stderr:
        # The mirror dropped that version since the lists were fetched.
        apt.update()
        p = apt.download(parts, pkgdir)
    if p.returncode != 0:
        raise KernelError(f"apt-get download {' '.join(parts)} failed (no network?): "
                          f"{p.stderr.strip()}")
    debs = glob.glob(os.path.join(pkgdir, "*.deb"))
    if len(debs) != len(parts):
        raise KernelError(f"apt-get download {' '.join(parts)} left {len(debs)} .deb files "
                          f"in {pkgdir}")
    for deb in debs:
        p = _run(["dpkg-deb", "-x", deb, root], "dpkg", text=True)
        if p.returncode != 0:
            raise KernelError(f"dpkg-deb -x {deb} failed: {p.stderr.strip()}")
    # depmod (kmod 30) looks only under <base>/lib/modules.
    if os.path.isdir(os.path.join(root, "usr", "lib", "modules")) and \
            not os.path.exists(os.path.join(root, "lib")):
        os.symlink("usr/lib", os.path.join(root, "lib"))
    kernel = Kernel(root)
    p = _run(["depmod", "-b", root, kernel.release], "kmod", text=True)
    if p.returncode != 0:
        raise KernelError(f"depmod -b {root} {kernel.release} failed: {p.stderr.strip()}")
    # The extracted tree is all later runs need.
    for deb in debs:
        os.unlink(deb)
    return kernel
