#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Containers of runtimes outside the CRI, found by id from their cgroup's
name: Debian's podman (cgroupfs manager, Debian's runc), whose containers'
cgroups are libpod_parent/libpod-<id>, and Debian's docker.io (dockerd
started by the test, with the containerd it starts itself; no iptables, no
bridge), whose are docker/<id>. The image is built offline, as for the
containerd tests (pn_cri.image_archive), and loaded with `podman load` and
`docker load`; each keeps its storage and state in a directory of the
test's own (vfs storage: no overlay mounts to leave behind), removed after.
In each, two containers write the same files; the one watched, by its full
id and by a short one, is reported, with the id read back from its cgroup."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from pn_e2e import Agent, brief, cgroup2_root
from pn_cri import IMAGE, image_archive

PODMAN = shutil.which("podman") or "/usr/bin/podman"
# waits for /data/goN from outside, then writes /data/fN: one container for two agents
STEPS = ["/bin/sh", "-c", "for n in 1 2; do while [ ! -e /data/go$n ]; do sleep 0.02; done; "
         "echo $n > /data/f$n; done; exec sleep 2147483647"]


class Podman:
    def __init__(self):
        if not os.path.exists(PODMAN):
            raise unittest.SkipTest("podman is not installed (scripts/deps installs it)")
        self.dir = tempfile.mkdtemp(prefix="pn-podman-", dir="/tmp")
        self.base = [PODMAN, "--root", self.dir + "/root", "--runroot", self.dir + "/run",
                     "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                     "--runtime", shutil.which("runc") or "/usr/sbin/runc",
                     "--events-backend", "file", "--tmpdir", self.dir + "/tmp"]
        try:
            archive = os.path.join(self.dir, "image.tar")
            image_archive(archive, IMAGE, ["/bin/sh", "-c", "sleep 2147483647"])
            self.podman("load", "-i", archive)
        except BaseException:
            self.close()
            raise

    def podman(self, *args):
        r = subprocess.run(self.base + list(args), capture_output=True, text=True, timeout=120)
        if r.returncode:
            raise AssertionError(f"podman {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout.strip()

    def run(self, command):
        """A started container running command; its full id. Podman as root raises
        RLIMIT_NPROC past the hard limit unless told a lower one, which a machine
        without CAP_SYS_RESOURCE refuses: both limits are given, below any default."""
        return self.podman("run", "-d", "--network", "none", "--ulimit", "nofile=1024:1024",
                           "--ulimit", "nproc=4096:4096", IMAGE, *command)

    def pid(self, cid):
        return int(self.podman("inspect", "-f", "{{.State.Pid}}", cid))

    def cgroup(self, cid):
        return os.path.join(cgroup2_root(), "libpod_parent", "libpod-" + cid)

    def close(self):
        subprocess.run(self.base + ["rm", "-a", "-f", "-t", "0"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


# Debian's client: /usr/local/bin may hold another's
DOCKER = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else shutil.which("docker")
DOCKERD = shutil.which("dockerd") or "/usr/sbin/dockerd"


class Docker:
    def __init__(self):
        if not os.path.exists(DOCKERD) or not DOCKER:
            raise unittest.SkipTest("docker.io is not installed (scripts/deps installs it)")
        self.dir = tempfile.mkdtemp(prefix="pn-docker-", dir="/tmp")
        self.sock = os.path.join(self.dir, "docker.sock")
        self.log = open(os.path.join(self.dir, "dockerd.log"), "wb")
        # its own mount namespace, rshared, as for containerd (pn_cri.py)
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "unchanged", "sh", "-c",
             "mount --make-rshared / && exec " + DOCKERD + " --data-root " + self.dir +
             "/root --exec-root " + self.dir + "/exec -H unix://" + self.sock +
             " --pidfile " + self.dir + "/docker.pid --iptables=false --ip6tables=false"
             " --bridge=none --ip-masq=false --storage-driver vfs"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while subprocess.run([DOCKER, "-H", "unix://" + self.sock, "version"],
                                 capture_output=True).returncode:
                if self.proc.poll() is not None:
                    raise unittest.SkipTest("dockerd cannot start here: " + self.tail())
                if time.monotonic() > deadline:
                    raise AssertionError("dockerd did not answer within 60 s: " + self.tail())
                time.sleep(0.2)
            archive = os.path.join(self.dir, "image.tar")
            image_archive(archive, IMAGE, ["/bin/sh", "-c", "sleep 2147483647"])
            self.docker("load", "-i", archive)
        except BaseException:
            self.close()
            raise

    def tail(self):
        with open(os.path.join(self.dir, "dockerd.log"), "rb") as f:
            return b"".join(f.readlines()[-10:]).decode(errors="replace")

    def docker(self, *args):
        r = subprocess.run([DOCKER, "-H", "unix://" + self.sock] + list(args),
                           capture_output=True, text=True, timeout=120)
        if r.returncode:
            raise AssertionError(f"docker {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout.strip()

    def run(self, command):
        return self.docker("run", "-d", "--network", "none", IMAGE, *command)

    def pid(self, cid):
        return int(self.docker("inspect", "-f", "{{.State.Pid}}", cid))

    def cgroup(self, cid):
        return os.path.join(cgroup2_root(), "docker", cid)

    def close(self):
        if self.proc.poll() is None:
            ids = subprocess.run([DOCKER, "-H", "unix://" + self.sock, "ps", "-aq"],
                                 capture_output=True, text=True).stdout.split()
            if ids:
                subprocess.run([DOCKER, "-H", "unix://" + self.sock, "rm", "-f"] + ids,
                               capture_output=True)
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        subprocess.run(["pkill", "-KILL", "-f", "containerd-shim-runc-v2 .*" + self.dir],
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


class Found:
    """Two containers write /data/fN; the one watched, by full and short id, is
    reported with the id read back from its cgroup's name."""

    def setUp(self):
        self.agent = None

    def tearDown(self):
        if self.agent:
            self.agent.stop()

    def test_found_by_full_and_short_id(self):
        cid = self.rt.run(STEPS)
        other = self.rt.run(STEPS)
        cgroup = self.rt.cgroup(cid)
        self.assertTrue(os.path.isdir(cgroup), cgroup)
        pid, other_pid = self.rt.pid(cid), self.rt.pid(other)
        for step, ref in ((1, cid), (2, cid[:12])):
            self.agent = Agent(["--watch-container", ref, "--path", "/data", "--events",
                                "create"])
            for p in (pid, other_pid):  # the other container writes as much
                open(f"/proc/{p}/root/data/go{step}", "w").close()
            self.agent.wait_for(lambda ev: len(ev) >= 1, timeout=20)
            events = self.agent.settle()
            self.assertEqual(brief(events), [("CREATE", f"/data/f{step}")])
            e = events[0]
            self.assertEqual((e["container"], e["container_id"], e["cgroup_id"], e["tgid"]),
                             (ref, cid, os.stat(cgroup).st_ino, pid))
            self.agent.stop()
            self.agent = None


class DockerContainers(Found, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rt = Docker()

    @classmethod
    def tearDownClass(cls):
        cls.rt.close()


class PodmanContainers(Found, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rt = Podman()

    @classmethod
    def tearDownClass(cls):
        cls.rt.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
