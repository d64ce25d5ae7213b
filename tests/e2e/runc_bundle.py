# SPDX-License-Identifier: GPL-2.0-only
"""A real runc container from a busybox-static rootfs, for the e2e tests and the demo."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

BUSYBOX = "/bin/busybox"


class RuncContainer:
    """`runc create` makes the container's cgroup before its process runs, so a
    watch can be in place before the first file operation; `start` runs it."""

    def __init__(self, name, args, extra_files=(), overlay=False, cgroup_parent="/panoptes-e2e"):
        """overlay: the rootfs becomes the lower layer of an overlayfs mount
        (upper and work in the bundle), as container runtimes set it up.
        cgroup_parent: the cgroup (from the cgroup2 root) the container's goes under."""
        self.id = f"{name}-{os.getpid()}"
        self.bundle = tempfile.mkdtemp(prefix="pn-runc-", dir="/tmp")
        self.merged = None
        rootfs = os.path.join(self.bundle, "rootfs")
        for d in ("bin", "data", "proc", "dev", "sys", "tmp", "etc"):
            os.makedirs(os.path.join(rootfs, d), exist_ok=True)
        shutil.copy(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
        for applet in ("sh", "ls", "cat", "echo", "mkdir", "rm", "mv", "touch", "chmod",
                       "sleep", "ln", "date", "seq", "sync"):
            os.symlink("busybox", os.path.join(rootfs, "bin", applet))
        for src, dst in extra_files:
            shutil.copy(src, os.path.join(rootfs, dst.lstrip("/")))
        subprocess.run(["runc", "spec"], cwd=self.bundle, check=True)
        with open(os.path.join(self.bundle, "config.json")) as f:
            spec = json.load(f)
        spec["process"]["terminal"] = False
        spec["process"]["args"] = args
        spec["root"]["readonly"] = False
        spec["hostname"] = self.id
        # cgroupfs driver: the container's cgroup directory is named after its id
        spec["linux"]["cgroupsPath"] = f"{cgroup_parent}/{self.id}"
        if overlay:
            layers = {k: os.path.join(self.bundle, k) for k in ("upper", "work", "merged")}
            for path in layers.values():
                os.makedirs(path)
            subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                            f"lowerdir={rootfs},upperdir={layers['upper']},"
                            f"workdir={layers['work']}", layers["merged"]], check=True)
            self.merged = layers["merged"]
            spec["root"]["path"] = self.merged
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(spec, f)
        self.rootfs = rootfs
        self.created = False

    def create(self):
        # The container keeps runc's stdio: a pipe would never see EOF.
        self.log = os.path.join(self.bundle, "container.log")
        with open(self.log, "wb") as log:
            p = subprocess.run(["runc", "create", "--bundle", self.bundle, self.id],
                               stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        if p.returncode != 0:
            with open(self.log) as f:
                raise RuntimeError(f"runc create {self.id} failed: {f.read()}")
        self.created = True

    def start(self):
        subprocess.run(["runc", "start", self.id], check=True)

    def state(self):
        out = subprocess.run(["runc", "state", self.id], check=True, capture_output=True)
        return json.loads(out.stdout)

    def delete(self):
        if self.created:
            subprocess.run(["runc", "delete", "--force", self.id], capture_output=True)
            self.created = False
        if self.merged:
            subprocess.run(["umount", self.merged], capture_output=True)
            self.merged = None
        shutil.rmtree(self.bundle, ignore_errors=True)


class ContainerCase(unittest.TestCase):
    """A test with at most one container (self.c) and one agent (self.agent),
    both cleaned up whatever the outcome: the agent first, so it sees the
    container go."""

    def setUp(self):
        self.c = None
        self.agent = None

    def tearDown(self):
        if self.agent:
            self.agent.stop()
        if self.c:
            self.c.delete()
