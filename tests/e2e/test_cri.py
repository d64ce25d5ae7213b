#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Pods made through a real containerd's CRI (Debian's containerd 1.6, started
by the test; pn_cri.py), as a kubelet makes them: the agent finds a CRI
container by its containerd:// id and by a short id, reports its file
activity with container-relative paths and its id, and a watch on the
pods' cgroup parent (/kubepods, what the cgroupfs driver gives) covers
every container below it with the container's own cgroup id. Every event
names its pod uid and container id, read from its cgroup's path (JSON, log
lines, the native gRPC stream); without CAP_DAC_READ_SEARCH those are empty,
said once, and events still flow."""
import os
import unittest
from unittest import mock

import grpc

import pn_e2e
from pn_e2e import Agent, brief, cgroup2_root
from pn_grpc import Api, GrpcAgent
from pn_cri import Containerd

# Containerd makes a container's cgroup only when it starts (CreateContainer
# makes none), and --watch-container resolves the id at the agent's start:
# the writer waits for /data/go, which the test creates from outside.
WRITER = ["/bin/sh", "-c", "while [ ! -e /data/go ]; do sleep 0.02; done; "
          "echo a > /data/f1; mkdir /data/d; echo b > /data/d/f2; exec sleep 2147483647"]
EXPECTED = [("CREATE", "/data/f1"), ("MODIFY", "/data/f1"), ("CREATE", "/data/d"),
            ("CREATE", "/data/d/f2"), ("MODIFY", "/data/d/f2")]


class CriPods(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rt = Containerd()

    @classmethod
    def tearDownClass(cls):
        cls.rt.close()

    def setUp(self):
        self.agent = None
        self.pods = []

    def tearDown(self):
        if self.agent:
            self.agent.stop()
        for pod in self.pods:
            self.rt.cri.remove_pod(pod)

    def pod(self, name, namespace, command=WRITER):
        """A running sandbox and one created (not started) container: (pod, container id)."""
        pod = self.rt.cri.run_pod(name, namespace, {"app": name})
        self.pods.append(pod)
        return pod, self.rt.cri.create_container(pod, "app", command)

    def cgroup_dir(self, pod, cid):
        """Where a kubelet's cgroupfs driver puts the container's cgroup."""
        return os.path.join(cgroup2_root(), pod.cgroup_parent.lstrip("/"), cid)

    def cgroup_id(self, pod, cid):
        return os.stat(self.cgroup_dir(pod, cid)).st_ino

    def go(self, pod, cid):
        """Lets a started WRITER write: /data/go made through its root, by the test,
        outside every watched cgroup."""
        with open(os.path.join(self.cgroup_dir(pod, cid), "cgroup.procs")) as f:
            pid = int(f.read().split()[0])
        open(f"/proc/{pid}/root/data/go", "w").close()

    def test_container_by_runtime_id(self):
        web, web_id = self.pod("web-1", "prod")
        other, other_id = self.pod("db-1", "staging")
        self.rt.cri.start_container(web_id)
        self.rt.cri.start_container(other_id)
        self.agent = Agent(["--watch-container", f"containerd://{web_id}", "--path", "/data",
                            "--recursive", "--events", "create,modify"])
        self.go(web, web_id)
        self.go(other, other_id)
        events = self.agent.wait_for(lambda ev: len(ev) >= len(EXPECTED), timeout=30)
        events = self.agent.settle()
        # the other pod writes the same files: nothing of it may appear
        self.assertEqual(brief(events), EXPECTED)
        want = self.cgroup_id(web, web_id)
        for e in events:
            self.assertEqual(e["container"], f"containerd://{web_id}")
            self.assertEqual(e["cgroup_id"], want)
            # read from the cgroup's path, whatever the watch targets
            self.assertEqual((e["container_id"], e["pod_uid"]), (web_id, web.uid))

    def test_container_by_short_id(self):
        pod, cid = self.pod("short-1", "prod")
        self.rt.cri.start_container(cid)
        self.agent = Agent(["--watch-container", cid[:12], "--path", "/data", "--recursive",
                            "--events", "create,modify"])
        self.go(pod, cid)
        self.agent.wait_for(lambda ev: len(ev) >= len(EXPECTED), timeout=30)
        self.assertEqual(brief(self.agent.settle()), EXPECTED)
        self.assertEqual({e["cgroup_id"] for e in self.agent.lines},
                         {self.cgroup_id(pod, cid)})

    def test_every_pod_below_the_kubepods_cgroup(self):
        a, a_id = self.pod("a-1", "prod")
        b, b_id = self.pod("b-1", "staging")
        self.agent = Agent(["--watch-cgroup", "/kubepods", "--path", "/data", "--recursive",
                            "--events", "create,modify"])
        self.rt.cri.start_container(a_id)
        self.rt.cri.start_container(b_id)
        self.go(a, a_id)
        self.go(b, b_id)
        events = self.agent.wait_for(lambda ev: len(ev) >= 2 * len(EXPECTED), timeout=30)
        events = self.agent.settle()
        by_cgroup = {}
        for e in events:
            by_cgroup.setdefault((e["cgroup_id"], e["container_id"], e["pod_uid"]),
                                 []).append((e["event"], e["path"]))
            # no container target: the watch names none
            self.assertEqual(e["container"], "")
        self.assertEqual(by_cgroup, {(self.cgroup_id(a, a_id), a_id, a.uid): EXPECTED,
                                     (self.cgroup_id(b, b_id), b_id, b.uid): EXPECTED})

    def test_identity_in_log_lines_and_grpc(self):
        pod, cid = self.pod("line-1", "prod")
        self.rt.cri.start_container(cid)
        self.agent = GrpcAgent(["--watch-container", f"containerd://{cid}", "--path", "/data",
                                "--recursive", "--events", "create",
                                "--format", "{event} {path}{sep}{file} {pod_uid} {container_id}"])
        ch = grpc.insecure_channel(self.agent.addr)
        self.addCleanup(ch.close)
        api = Api(ch)
        call = api.stream_events(api.N.StreamEventsRequest(), timeout=30)
        self.addCleanup(call.cancel)
        api.wait_streams(1)
        self.go(pod, cid)
        got = []
        for ev in call:
            got.append((ev.path, ev.pod_uid, ev.container_id, ev.line))
            if len(got) == 3:
                break
        self.assertEqual(got, [(p, pod.uid, cid, f"CREATE {p} {pod.uid} {cid}")
                               for p in ("/data/f1", "/data/d", "/data/d/f2")])

    def test_without_the_capability_events_still_flow(self):
        pod, cid = self.pod("nocap-1", "prod")
        self.rt.cri.start_container(cid)
        wrapper = os.path.join(self.rt.dir, "panoptesd-nocap")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec setpriv --bounding-set -dac_read_search "%s" "$@"\n'
                    % pn_e2e.PANOPTESD)
        os.chmod(wrapper, 0o755)
        with mock.patch.object(pn_e2e, "PANOPTESD", wrapper):
            self.agent = Agent(["--watch-container", cid, "--path", "/data", "--recursive",
                                "--events", "create,modify"])
        self.go(pod, cid)
        self.agent.wait_for(lambda ev: len(ev) >= len(EXPECTED), timeout=30)
        events = self.agent.settle()
        self.assertEqual(brief(events), EXPECTED)
        self.assertEqual({(e["container_id"], e["pod_uid"]) for e in events}, {("", "")})
        warned = [l for l in self.agent.stderr_lines if "CAP_DAC_READ_SEARCH" in l]
        self.assertEqual(len(warned), 1, self.agent.stderr_lines)


if __name__ == "__main__":
    unittest.main(verbosity=2)
