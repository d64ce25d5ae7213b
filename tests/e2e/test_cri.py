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
said once, and events still flow. Asked over the same CRI socket
(--cri-endpoint), the runtime names each event's pod, namespace, container
and image, from the first event of a container started after the agent;
status and /metrics say what the runtime answered. A runtime that cannot be
reached is said once in the log, in status and in /metrics, and events flow
with what cgroup paths say. Selectors (namespace, container name, image,
pod labels; flags and policy files, the shipped ConfigMap sample among
them) report the matching pods' writes, from the first, and nothing of the
others; without a runtime a selector reports nothing and counts it."""
import json
import os
import signal
import subprocess
import threading
import time
import unittest
from unittest import mock

import grpc

import pn_e2e
from pn_e2e import Agent, brief, cgroup2_root
from pn_grpc import Api, GrpcAgent
from pn_cri import PAUSE, Containerd, SlowRuntime

# Containerd makes a container's cgroup only when it starts (CreateContainer
# makes none), and --watch-container resolves the id at the agent's start:
# the writer waits for /data/go, which the test creates from outside.
WRITER = ["/bin/sh", "-c", "while [ ! -e /data/go ]; do sleep 0.02; done; "
          "echo a > /data/f1; mkdir /data/d; echo b > /data/d/f2; exec sleep 2147483647"]
EXPECTED = [("CREATE", "/data/f1"), ("MODIFY", "/data/f1"), ("CREATE", "/data/d"),
            ("CREATE", "/data/d/f2"), ("MODIFY", "/data/d/f2")]
# One file per go: /data/goN lets it write /data/fN, for a container that lives
# across an agent's or a runtime's restart.
# Opens the image's /etc/app/config once /data/go is there: its exit code in
# /data/rc, what it read in /data/out, why not in /data/err (the guards' tests).
READER = ["/bin/sh", "-c", "while [ ! -e /data/go ]; do sleep 0.02; done; "
          "cat /etc/app/config > /data/out 2> /data/err; echo $? > /data/rc; "
          "exec sleep 2147483647"]
STEPS = ["/bin/sh", "-c", "for n in 1 2 3; do while [ ! -e /data/go$n ]; do sleep 0.02; done; "
         "echo $n > /data/f$n; done; exec sleep 2147483647"]


def workload(e):
    return (e["pod"], e["namespace"], e["container_name"], e["image"])


class CriPods(unittest.TestCase):
    maxDiff = None  # a wrong event list is read whole in the VM matrix's log

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

    def pod(self, name, namespace, command=WRITER, container="app", **kw):
        """A running sandbox and one created (not started) container: (pod, container id)."""
        pod = self.rt.cri.run_pod(name, namespace, {"app": name})
        self.pods.append(pod)
        return pod, self.rt.cri.create_container(pod, container, command, **kw)

    def run_all(self, pods):
        """Starts each (pod, container id) and lets it write."""
        for pod, cid in pods:
            self.rt.cri.start_container(cid)
        for pod, cid in pods:
            self.go(pod, cid)

    def by_pod(self, events):
        got = {}
        for e in events:
            got.setdefault(e["pod"], []).append((e["event"], e["path"]))
        return got

    def cgroup_dir(self, pod, cid):
        """Where a kubelet's cgroupfs driver puts the container's cgroup."""
        return os.path.join(cgroup2_root(), pod.cgroup_parent.lstrip("/"), cid)

    def cgroup_id(self, pod, cid):
        return os.stat(self.cgroup_dir(pod, cid)).st_ino

    def go(self, pod, cid, name="go"):
        """Lets a started WRITER (or STEPS) write: /data/go (goN) made through its
        root, by the test, outside every watched cgroup."""
        with open(os.path.join(self.cgroup_dir(pod, cid), "cgroup.procs")) as f:
            pid = int(f.read().split()[0])
        open(f"/proc/{pid}/root/data/{name}", "w").close()

    def identity(self, e):
        return (e["path"], e["pod"], e["pod_uid"], e["namespace"], e["container_name"],
                e.get("identity_incomplete"))

    def test_pod_recreated_under_the_same_name(self):
        """A pod deleted and made again (a StatefulSet's pod): new uid, new cgroup,
        the same name and labels; the selector follows it."""
        self.agent = Agent(["--watch-selector", "app=web-11", "--path", "/data", "--recursive",
                            "--events", "create", "--cri-endpoint", self.rt.endpoint])
        self.wait_metric("panoptes_cri_connected", 1)
        first = self.pod("web-11", "prod")
        self.run_all([first])
        self.agent.wait_for(lambda ev: len(ev) >= 3, timeout=30)
        first_cgroup = self.cgroup_id(*first)
        self.rt.cri.remove_pod(first[0])
        self.pods.remove(first[0])
        again = self.pod("web-11", "prod")
        self.assertNotEqual(first[0].uid, again[0].uid)
        self.run_all([again])
        self.agent.wait_for(lambda ev: len(ev) >= 6, timeout=30)
        creates = [p for ev, p in EXPECTED if ev == "CREATE"]
        self.assertEqual([self.identity(e) + (e["cgroup_id"],)
                          for e in self.agent.settle(quiet=1.0)],
                         [(p, "web-11", pod.uid, "prod", "app", None, cgroup_id)
                          for pod, cgroup_id in ((first[0], first_cgroup),
                                                 (again[0], self.cgroup_id(*again)))
                          for p in creates])

    def test_identity_after_an_agent_restart_with_pods_running(self):
        pod, cid = self.pod("r-1", "prod", STEPS)
        self.rt.cri.start_container(cid)
        args = ["--watch-namespace", "prod", "--path", "/data", "--events", "create",
                "--cri-endpoint", self.rt.endpoint]
        named = ("r-1", pod.uid, "prod", "app", None)
        for step in (1, 2):
            self.agent = Agent(args)
            # the pod ran before this agent: its first list names it, nothing is asked
            self.wait_metric("panoptes_cri_containers", 1)
            self.go(pod, cid, f"go{step}")
            self.agent.wait_for(lambda ev: len(ev) >= 1, timeout=30)
            self.assertEqual([self.identity(e) for e in self.agent.settle()],
                             [(f"/data/f{step}",) + named])
            m = self.agent.metrics()
            self.assertEqual((m["panoptes_cri_lookups_total"],
                              m["panoptes_events_identity_incomplete_total"]), (0, 0))
            self.agent.stop()
            self.agent = None

    def test_runtime_going_away_and_coming_back(self):
        old, old_id = self.pod("old-12", "prod", STEPS)
        self.rt.cri.start_container(old_id)
        self.agent = Agent(["--watch-cgroup", "/kubepods", "--path", "/data", "--recursive",
                            "--events", "create", "--cri-endpoint", self.rt.endpoint,
                            "--cri-resync-s", "1"])
        self.wait_metric("panoptes_cri_containers", 1)
        self.rt.stop()
        # the next resync finds it gone: said once, however often it is asked again
        self.wait_metric("panoptes_cri_connected", 0)
        self.go(old, old_id, "go1")
        self.agent.wait_for(lambda ev: len(ev) >= 1, timeout=30)
        time.sleep(2.5)  # two more resyncs without a runtime
        said = [l for l in self.agent.stderr_lines if "container runtime:" in l]
        self.assertEqual(len(said), 2, self.agent.stderr_lines)
        self.assertIn(f"at {self.rt.endpoint}: events carry pod", said[0])
        self.assertRegex(said[1], f"(lost|cannot list containers at) {self.rt.endpoint}")
        self.rt.start()
        self.wait_metric("panoptes_cri_connected", 1, timeout=15)
        self.assertEqual(len([l for l in self.agent.stderr_lines if "container runtime:" in l]),
                         3, self.agent.stderr_lines)
        # a pod made after the runtime came back is named from its first event
        new, new_id = self.pod("new-12", "prod")
        self.run_all([(new, new_id)])
        self.go(old, old_id, "go2")
        self.agent.wait_for(lambda ev: len(ev) >= 5, timeout=30)
        got = sorted(self.identity(e) for e in self.agent.settle(quiet=1.0))
        # what the agent knew stayed known while the runtime was away
        self.assertEqual(got, sorted([("/data/f1", "old-12", old.uid, "prod", "app", None),
                                      ("/data/f2", "old-12", old.uid, "prod", "app", None)]
                                     + [(p, "new-12", new.uid, "prod", "app", None)
                                        for p in ("/data/f1", "/data/d", "/data/d/f2")]))

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

    def test_pure_cgroup2_containers_have_their_own_cgroup_namespace(self):
        """On a cgroup v2 node (tests/vm's guests: vm/6.1/syscalls runs this file) containerd
        gives each container a cgroup namespace of its own; found by id and by pid, its
        events are the same, named from its cgroup's path."""
        with open("/proc/self/mounts") as f:
            if any(l.split()[2] == "cgroup" for l in f):
                self.skipTest("cgroup v1 hierarchies are mounted here: containerd gives "
                              "containers the node's cgroup namespace (tests/vm runs this "
                              "on pure cgroup v2)")
        pod, cid = self.pod("v2-1", "prod")
        self.rt.cri.start_container(cid)
        with open(os.path.join(self.cgroup_dir(pod, cid), "cgroup.procs")) as f:
            pid = int(f.read().split()[0])
        self.assertNotEqual(os.readlink(f"/proc/{pid}/ns/cgroup"),
                            os.readlink("/proc/self/ns/cgroup"))
        self.agent = Agent(["--watch-pid", str(pid), "--path", "/data", "--recursive",
                            "--events", "create,modify", "--cri-endpoint", self.rt.endpoint])
        # named before its first event: under TCG the first list can take longer than the
        # default --cri-wait-ms, and the events would then rightly leave without a pod
        self.wait_metric("panoptes_cri_containers", 1, timeout=60)
        self.go(pod, cid)
        self.agent.wait_for(lambda ev: len(ev) >= len(EXPECTED), timeout=60)
        events = self.agent.settle()
        self.assertEqual(brief(events), EXPECTED)
        self.assertEqual({(e["cgroup_id"], e["container_id"], e["pod_uid"]) + workload(e)
                          for e in events},
                         {(self.cgroup_id(pod, cid), cid, pod.uid, "v2-1", "prod", "app",
                           "pn.local/busybox:1")})

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
        self.rt.cri.start_container(a_id)
        self.agent = Agent(["--watch-cgroup", "/kubepods", "--path", "/data", "--recursive",
                            "--events", "create,modify", "--cri-endpoint", self.rt.endpoint])
        # a runs and was listed at connect; b is made after, so its first event asks
        self.wait_metric("panoptes_cri_containers", 1)
        b, b_id = self.pod("b-1", "staging")
        self.rt.cri.start_container(b_id)
        self.go(a, a_id)
        self.go(b, b_id)
        events = self.agent.wait_for(lambda ev: len(ev) >= 2 * len(EXPECTED), timeout=30)
        events = self.agent.settle()
        by_cgroup = {}
        for e in events:
            # every event, the first of each container included
            by_cgroup.setdefault((e["cgroup_id"], e["container_id"], e["pod_uid"])
                                 + workload(e), []).append((e["event"], e["path"]))
            # no container target: the watch names none
            self.assertEqual(e["container"], "")
            self.assertRegex(e["image_id"], r"^sha256:[0-9a-f]{64}$")
            self.assertNotIn("identity_incomplete", e)
            # not asked for (--event-labels, --event-annotations)
            self.assertNotIn("labels", e)
            self.assertNotIn("annotations", e)
        image = "pn.local/busybox:1"
        self.assertEqual(by_cgroup, {
            (self.cgroup_id(a, a_id), a_id, a.uid, "a-1", "prod", "app", image): EXPECTED,
            (self.cgroup_id(b, b_id), b_id, b.uid, "b-1", "staging", "app", image): EXPECTED})
        m = self.agent.metrics()
        self.assertEqual(m["panoptes_cri_connected"], 1)
        # b was asked as its cgroup appeared, and its first event waited (--cri-wait-ms)
        # if the answer had not come yet: either way in time
        self.assertGreaterEqual(m["panoptes_cri_cgroups_made_total"], 1)
        self.assertIn(m["panoptes_cri_lookups_total"], (0, 1))
        self.assertEqual((m["panoptes_cri_lookups_late_total"],
                          m["panoptes_cri_lookups_unknown_total"],
                          m["panoptes_events_identity_incomplete_total"]), (0, 0, 0))

    def test_cgroup_made_names_the_first_event_without_waiting(self):
        """The kernel says a container's cgroup was made as the runtime starts it: the
        runtime is asked then, so even with --cri-wait-ms 0 and no resync in the test's
        time the first event carries the pod."""
        self.agent = Agent(["--watch-cgroup", "/kubepods", "--path", "/data", "--recursive",
                            "--events", "create,modify", "--cri-endpoint", self.rt.endpoint,
                            "--cri-wait-ms", "0", "--cri-resync-s", "3600"])
        self.wait_metric("panoptes_cri_connected", 1)
        pod, cid = self.pod("born-1", "prod")  # made after the agent listed the runtime's
        self.rt.cri.start_container(cid)
        # named before any event of it: no event asked
        self.wait_metric("panoptes_cri_containers", 1)
        self.go(pod, cid)
        self.agent.wait_for(lambda ev: len(ev) >= len(EXPECTED), timeout=30)
        events = self.agent.settle()
        self.assertEqual(brief(events), EXPECTED)
        self.assertEqual({(e.get("identity_incomplete"),) + workload(e) for e in events},
                         {(None, "born-1", "prod", "app", "pn.local/busybox:1")})
        m = self.agent.metrics()
        # the pod's sandbox (its pause container) has a cgroup of its own too
        self.assertGreaterEqual(m["panoptes_cri_cgroups_made_total"], 1)
        self.assertEqual((m["panoptes_cri_lookups_total"], m["panoptes_cri_lookups_late_total"],
                          m["panoptes_cri_lookups_unknown_total"]), (0, 0, 0))

    def test_first_event_not_waiting_says_its_identity_is_incomplete(self):
        """A runtime slow to answer (SlowRuntime holds what the agent asks): with
        --cri-wait-ms 0 the first event leaves at once, without names, and says so."""
        slow = SlowRuntime(self.rt.endpoint, os.path.join(self.rt.dir, "slow.sock"))
        self.addCleanup(slow.close)
        self.agent = Agent(["--watch-cgroup", "/kubepods", "--path", "/data", "--recursive",
                            "--events", "create,modify", "--cri-endpoint", slow.endpoint,
                            "--cri-wait-ms", "0"])
        self.wait_metric("panoptes_cri_connected", 1)
        pod, cid = self.pod("late-1", "prod")  # made after the agent listed the runtime's
        slow.pause()
        self.run_all([(pod, cid)])
        self.agent.wait_for(lambda ev: len(ev) >= 1, timeout=30)
        slow.resume()
        events = self.agent.wait_for(lambda ev: len(ev) >= len(EXPECTED), timeout=30)
        events = self.agent.settle()
        self.assertEqual(brief(events), EXPECTED)
        # --cri-wait-ms 0: the first event left before the runtime answered, and says so
        self.assertEqual((events[0].get("identity_incomplete"), workload(events[0])),
                         (True, ("", "", "", "")))
        for e in events:
            # each event either has the whole answer or says it has none of it
            self.assertIn((e.get("identity_incomplete"), workload(e)),
                          {(True, ("", "", "", "")),
                           (None, ("late-1", "prod", "app", "pn.local/busybox:1"))})
        m = self.agent.metrics()
        self.assertEqual(m["panoptes_cri_lookups_late_total"], 1)
        self.assertEqual(m["panoptes_events_identity_incomplete_total"],
                         sum(1 for e in events if e.get("identity_incomplete")))

    def lifecycle(self, agent):
        return [(l["lifecycle"], l["pod"], l["image"], l["snapshot"])
                for l in agent.lines if "lifecycle" in l]

    def test_lifecycle_one_image_line_per_node(self):
        old, old_id = self.pod("old-1", "prod")
        self.rt.cri.start_container(old_id)
        self.agent = Agent(["--lifecycle", "json", "--cri-endpoint", self.rt.endpoint,
                            "--cri-resync-s", "1", "--watch-cgroup", "/kubepods",
                            "--path", "/nowhere"])
        busybox, pause = "pn.local/busybox:1", PAUSE
        # what ran at start is the snapshot
        self.agent.wait_for(lambda ev: len(self.lifecycle(self.agent)) >= 2, timeout=20)
        self.assertEqual(self.lifecycle(self.agent),
                         [("container_started", "old-1", busybox, True),
                          ("image_added", "old-1", busybox, True)])
        pods = [self.pod("web-9", "prod"), self.pod("web-10", "prod"),
                self.pod("side-1", "prod", image=pause)]
        for pod, cid in pods:
            self.rt.cri.start_container(cid)
        self.agent.wait_for(lambda ev: len(self.lifecycle(self.agent)) >= 6, timeout=20)
        later = self.lifecycle(self.agent)[2:]
        # busybox is on the node already: containers, but no second image line
        self.assertEqual(sorted(later),
                         sorted([("container_started", "web-9", busybox, False),
                                 ("container_started", "web-10", busybox, False),
                                 ("container_started", "side-1", pause, False),
                                 ("image_added", "side-1", pause, False)]))
        # the image leaves with its last container, and only then
        for name in ("web-9", "old-1", "web-10"):
            pod = next(p for p in self.pods if p.name == name)
            self.rt.cri.remove_pod(pod)
            self.pods.remove(pod)
        self.agent.wait_for(lambda ev: len(self.lifecycle(self.agent)) >= 10, timeout=20)
        gone = self.lifecycle(self.agent)[6:]
        self.assertEqual(gone[-1][0::2], ("image_removed", busybox))
        self.assertEqual(sorted(g[:2] for g in gone[:-1]),
                         [("container_stopped", "old-1"), ("container_stopped", "web-10"),
                          ("container_stopped", "web-9")])
        time.sleep(1.5)  # a resync more: side-1's pause image stays
        self.assertEqual(len(self.lifecycle(self.agent)), 10)
        self.assertEqual(self.agent.metrics()["panoptes_cri_images"], 1)
        full = [l for l in self.agent.lines if l.get("lifecycle") == "image_added"][1]
        self.assertEqual((full["image_spec"], full["namespace"], full["container_name"]),
                         (pause, "prod", "app"))
        self.assertRegex(full["image_id"], r"^sha256:[0-9a-f]{64}$")

    def test_lifecycle_reconciled_after_a_restart(self):
        """--state-dir keeps what was reported running: the next agent reports what went
        while none ran, once, reconciled; what still runs is its snapshot."""
        state = os.path.join(self.rt.dir, "state-lc")
        args = ["--lifecycle", "json", "--cri-endpoint", self.rt.endpoint, "--state-dir", state,
                "--watch-cgroup", "/kubepods", "--path", "/nowhere"]
        keep, keep_id = self.pod("keep-15", "prod", image=PAUSE)
        gone, gone_id = self.pod("gone-15", "prod")
        for cid in (keep_id, gone_id):
            self.rt.cri.start_container(cid)
        self.agent = Agent(args)
        self.agent.wait_for(lambda ev: len(self.lifecycle(self.agent)) >= 4, timeout=20)
        self.agent.stop()
        self.agent = None
        # while no agent runs: gone-15's container exits (it counts as stopped at once)
        # and its pod goes
        self.rt.cri.remove_pod(gone)
        self.pods.remove(gone)
        self.agent = Agent(args)
        self.agent.wait_for(lambda ev: len(self.lifecycle(self.agent)) >= 4, timeout=20)
        time.sleep(0.5)
        got = sorted((l["lifecycle"], l["pod"], l["image"], l["snapshot"],
                      l.get("reconciled", False)) for l in self.agent.lines if "lifecycle" in l)
        self.assertEqual(got, sorted([
            ("container_started", "keep-15", PAUSE, True, False),
            ("image_added", "keep-15", PAUSE, True, False),
            ("container_stopped", "gone-15", "pn.local/busybox:1", False, True),
            ("image_removed", "gone-15", "pn.local/busybox:1", False, True)]))
        stopped = next(l for l in self.agent.lines if l.get("lifecycle") == "container_stopped")
        self.assertEqual((stopped["container_id"], stopped["namespace"],
                          stopped["container_name"]), (gone_id, "prod", "app"))
        # said once: a third agent has nothing to reconcile
        self.agent.stop()
        self.agent = Agent(args)
        self.agent.wait_for(lambda ev: len(self.lifecycle(self.agent)) >= 2, timeout=20)
        time.sleep(0.5)
        self.assertEqual(sorted(self.lifecycle(self.agent)),
                         [("container_started", "keep-15", PAUSE, True),
                          ("image_added", "keep-15", PAUSE, True)])

    def test_lifecycle_exited_container_stops(self):
        """An exited container (a finished init container) is stopped when it exits, not
        when kubelet removes it."""
        pod, cid = self.pod("init-16", "prod", ["/bin/sh", "-c",
                                                "while [ ! -e /data/go ]; do sleep 0.02; done"])
        self.agent = Agent(["--lifecycle", "json", "--cri-endpoint", self.rt.endpoint,
                            "--cri-resync-s", "1", "--watch-cgroup", "/kubepods",
                            "--path", "/nowhere"])
        self.wait_metric("panoptes_cri_connected", 1)
        self.rt.cri.start_container(cid)
        self.agent.wait_for(lambda ev: len(self.lifecycle(self.agent)) >= 2, timeout=20)
        self.go(pod, cid)
        self.agent.wait_for(lambda ev: len(self.lifecycle(self.agent)) >= 4, timeout=20)
        busybox = "pn.local/busybox:1"
        self.assertEqual(self.lifecycle(self.agent),
                         [("container_started", "init-16", busybox, False),
                          ("image_added", "init-16", busybox, False),
                          ("container_stopped", "init-16", busybox, False),
                          ("image_removed", "init-16", busybox, False)])

    def test_lifecycle_from_the_kernels_cgroup_notes(self):
        """No resync in the test's time (--cri-resync-s 3600): a container is reported
        started once its cgroup appeared and it runs, and stopped as its cgroup goes."""
        pod, cid = self.pod("note-17", "prod", ["/bin/sh", "-c",
                                                "while [ ! -e /data/go ]; do sleep 0.02; done"])
        self.agent = Agent(["--lifecycle", "json", "--cri-endpoint", self.rt.endpoint,
                            "--cri-resync-s", "3600", "--watch-cgroup", "/kubepods",
                            "--path", "/nowhere"])
        self.wait_metric("panoptes_cri_connected", 1)
        self.rt.cri.start_container(cid)
        self.agent.wait_for(lambda ev: len(self.lifecycle(self.agent)) >= 2, timeout=20)
        self.go(pod, cid)
        self.agent.wait_for(lambda ev: len(self.lifecycle(self.agent)) >= 4, timeout=20)
        busybox = "pn.local/busybox:1"
        self.assertEqual(self.lifecycle(self.agent),
                         [("container_started", "note-17", busybox, False),
                          ("image_added", "note-17", busybox, False),
                          ("container_stopped", "note-17", busybox, False),
                          ("image_removed", "note-17", busybox, False)])
        self.assertGreaterEqual(self.agent.metrics()["panoptes_cri_cgroups_removed_total"], 1)

    def test_lifecycle_over_the_native_api(self):
        """StreamLifecycle, without --lifecycle: what runs when the client comes (snapshot),
        then each change; a second pod of the same image adds no image."""
        old, old_id = self.pod("inv-1", "prod")
        self.rt.cri.start_container(old_id)
        self.agent = GrpcAgent(["--cri-endpoint", self.rt.endpoint, "--cri-resync-s", "3600",
                                "--watch-cgroup", "/kubepods", "--path", "/nowhere"],
                               output="json")
        self.wait_metric("panoptes_cri_containers", 1)
        ch = grpc.insecure_channel(self.agent.addr)
        self.addCleanup(ch.close)
        api = Api(ch)
        call = api.stream_lifecycle(api.N.StreamLifecycleRequest(), timeout=60)
        self.addCleanup(call.cancel)
        K = api.N.LifecycleKind.Name
        got = []

        def take(n):
            for r in call:
                got.append((K(r.kind), r.pod, r.namespace, r.container_id, r.image,
                            r.image_spec, r.snapshot, r.node))
                if len(got) == n:
                    return

        take(2)
        api.wait_streams(1)
        # panoptesctl prints the same snapshot as panoptesd's --lifecycle lines
        ctl = os.environ.get("PANOPTESCTL", "panoptesctl")
        r = subprocess.run([ctl, "--server", self.agent.socket_addr, "lifecycle", "--count", "2"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual([(l["lifecycle"], l["pod"], l["container_id"], l["snapshot"])
                          for l in map(json.loads, r.stdout.splitlines())],
                         [("container_started", "inv-1", old_id, True),
                          ("image_added", "inv-1", old_id, True)])
        r = subprocess.run([ctl, "--server", self.agent.socket_addr, "lifecycle", "--count", "2",
                            "--output", "kimager"], capture_output=True, text=True, timeout=30)
        self.assertRegex(r.stdout, r"^\[\S+ INFO \] \[\+\|image\]  pn\.local/busybox:1  "
                                   r"\[prod\|inv-1\]\n$")
        new, new_id = self.pod("inv-2", "prod", ["/bin/sh", "-c",
                                                 "while [ ! -e /data/go ]; do sleep 0.02; done"])
        self.rt.cri.start_container(new_id)
        take(3)
        self.go(new, new_id)  # it exits: its cgroup goes
        take(4)
        image = "pn.local/busybox:1"
        self.assertEqual(got, [
            ("LIFECYCLE_KIND_CONTAINER_STARTED", "inv-1", "prod", old_id, image, image, True,
             "node-e2e"),
            ("LIFECYCLE_KIND_IMAGE_ADDED", "inv-1", "prod", old_id, image, image, True,
             "node-e2e"),
            ("LIFECYCLE_KIND_CONTAINER_STARTED", "inv-2", "prod", new_id, image, image, False,
             "node-e2e"),
            ("LIFECYCLE_KIND_CONTAINER_STOPPED", "inv-2", "prod", new_id, image, image, False,
             "node-e2e")])
        # no --lifecycle: nothing of it on stdout
        self.assertEqual([l for l in self.agent.lines if "lifecycle" in l], [])

    def test_lifecycle_without_a_runtime_is_refused(self):
        self.agent = GrpcAgent(["--cri-endpoint", "", "--watch-cgroup", "/kubepods",
                                "--path", "/nowhere"], output="json")
        ch = grpc.insecure_channel(self.agent.addr)
        self.addCleanup(ch.close)
        api = Api(ch)
        with self.assertRaises(grpc.RpcError) as cm:
            next(iter(api.stream_lifecycle(api.N.StreamLifecycleRequest(), timeout=30)))
        self.assertEqual((cm.exception.code(), cm.exception.details()),
                         (grpc.StatusCode.FAILED_PRECONDITION,
                          'no container runtime: panoptesd runs with --cri-endpoint ""'))
        r = subprocess.run([os.environ.get("PANOPTESCTL", "panoptesctl"), "--server",
                            self.agent.socket_addr, "lifecycle"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        self.assertIn("FAILED_PRECONDITION: no container runtime", r.stderr)

    def test_lifecycle_kimager_lines(self):
        pod, cid = self.pod("k-1", "prod")
        self.rt.cri.start_container(cid)
        self.agent = Agent(["--lifecycle", "kimager", "--cri-endpoint", self.rt.endpoint,
                            "--watch-cgroup", "/kubepods", "--path", "/nowhere"],
                           output="text")
        lines = self.agent.wait_for(lambda ev: len(ev) >= 1, timeout=20)
        self.assertRegex(lines[0], r"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO \] "
                                   r"\[\+\|image\]  pn\.local/busybox:1  \[prod\|k-1\]$")
        self.assertEqual(len(self.agent.settle()), 1)

    def wait_metric(self, name, value, timeout=10):
        deadline = time.monotonic() + timeout
        while self.agent.metrics().get(name) != value:
            if time.monotonic() > deadline:
                self.fail(f"{name} not {value} within {timeout} s: {self.agent.metrics()}")
            time.sleep(0.05)

    def test_identity_in_log_lines_and_grpc(self):
        pod, cid = self.pod("line-1", "prod")
        self.rt.cri.start_container(cid)
        self.agent = GrpcAgent(["--watch-container", f"containerd://{cid}", "--path", "/data",
                                "--recursive", "--events", "create",
                                "--cri-endpoint", self.rt.endpoint, "--format",
                                "{event} {path}{sep}{file} {pod_uid} {container_id} {pod} "
                                "{namespace} {container_name} {image}"])
        ch = grpc.insecure_channel(self.agent.addr)
        self.addCleanup(ch.close)
        api = Api(ch)
        call = api.stream_events(api.N.StreamEventsRequest(), timeout=30)
        self.addCleanup(call.cancel)
        api.wait_streams(1)
        self.go(pod, cid)
        got = []
        for ev in call:
            got.append((ev.path, ev.pod_uid, ev.container_id, ev.pod, ev.namespace,
                        ev.container_name, ev.image, ev.image_id[:7], ev.line))
            if len(got) == 3:
                break
        names = ("line-1", "prod", "app", "pn.local/busybox:1")
        self.assertEqual(got, [(p, pod.uid, cid) + names
                               + ("sha256:", f"CREATE {p} {pod.uid} {cid} {' '.join(names)}")
                               for p in ("/data/f1", "/data/d", "/data/d/f2")])
        rt = api.status().runtime
        self.assertEqual((rt.endpoint, rt.connected, rt.error), (self.rt.endpoint, True, ""))
        self.assertRegex(rt.name, r"^containerd \S+$")
        self.assertGreaterEqual(rt.containers, 1)

    def test_labels_and_annotations_on_request(self):
        pod = self.rt.cri.run_pod("lab-1", "prod", {"app": "lab-1", "tier": "web",
                                                    "a.example.com/z": "1"},
                                  annotations={"team.example.com/owner": "ops",
                                               "unasked": "x" * 4096})
        self.pods.append(pod)
        cid = self.rt.cri.create_container(pod, "app", WRITER)
        self.rt.cri.start_container(cid)
        self.agent = GrpcAgent(["--watch-container", f"containerd://{cid}", "--path", "/data",
                                "--recursive", "--events", "create",
                                "--cri-endpoint", self.rt.endpoint, "--event-labels",
                                "--event-annotations", "team.example.com/owner",
                                "--event-annotations", "absent.example.com/x",
                                "--format", "{path}{sep}{file} {labels} {annotations}"],
                               output="json")
        ch = grpc.insecure_channel(self.agent.addr)
        self.addCleanup(ch.close)
        api = Api(ch)
        call = api.stream_events(api.N.StreamEventsRequest(), timeout=30)
        self.addCleanup(call.cancel)
        ctl = subprocess.Popen([os.environ.get("PANOPTESCTL", "panoptesctl"), "--server",
                                self.agent.socket_addr, "events", "--output", "json",
                                "--count", "3"], stdout=subprocess.PIPE, text=True)
        self.addCleanup(ctl.kill)
        api.wait_streams(2)
        self.go(pod, cid)
        labels = {"a.example.com/z": "1", "app": "lab-1", "tier": "web"}
        annotations = {"team.example.com/owner": "ops"}
        paths = ["/data/f1", "/data/d", "/data/d/f2"]
        got = []
        for ev in call:
            # (Python's map fields keep no order: the line and stdout show the key order)
            got.append((ev.path, dict(ev.labels), dict(ev.annotations), ev.line))
            if len(got) == 3:
                break
        self.assertEqual(got, [(p, labels, annotations,
                                f"{p} a.example.com/z=1,app=lab-1,tier=web "
                                "team.example.com/owner=ops") for p in paths])
        events = self.agent.wait_for(lambda ev: len(ev) >= 3, timeout=30)
        self.assertEqual([(e["path"], e["labels"], list(e["labels"]), e["annotations"])
                          for e in events],
                         [(p, labels, sorted(labels), annotations) for p in paths])
        # panoptesctl prints them as panoptesd does, in the order they came
        out = ctl.communicate(timeout=30)[0]
        self.assertEqual(ctl.returncode, 0)
        self.assertEqual([(e["path"], list(e["labels"].items()), e["annotations"])
                          for e in map(json.loads, out.splitlines())],
                         [(p, sorted(labels.items()), annotations) for p in paths])

    def test_namespace_selector_alone_watches_the_pods(self):
        pods = [self.pod("web-2", "prod"), self.pod("db-2", "staging"),
                self.pod("api-2", "prod-eu")]
        # no cgroup, pid or container: the node's pods (/kubepods here), narrowed
        self.agent = Agent(["--watch-namespace", "prod", "--watch-namespace", "prod-*",
                            "--path", "/data", "--recursive", "--events", "create,modify",
                            "--cri-endpoint", self.rt.endpoint])
        self.run_all(pods)
        self.agent.wait_for(lambda ev: len(ev) >= 2 * len(EXPECTED), timeout=30)
        # staging's writes, as many and as early, reach no line
        self.assertEqual(self.by_pod(self.agent.settle(quiet=1.0)),
                         {"web-2": EXPECTED, "api-2": EXPECTED})
        self.assertEqual(self.agent.metrics()["panoptes_events_unnamed_total"], 0)

    def test_selector_reports_a_containers_very_first_write(self):
        """A container whose first action is a write into the watched directory, started
        after the selector's watch: that write is reported, with its pod."""
        first = ["/bin/sh", "-c", "echo a > /data/first; exec sleep 2147483647"]
        self.agent = Agent(["--watch-namespace", "prod", "--path", "/data", "--recursive",
                            "--events", "create", "--cri-endpoint", self.rt.endpoint])
        self.wait_metric("panoptes_cri_connected", 1)
        pods = [self.pod("eager-1", "prod", first), self.pod("eager-2", "staging", first)]
        for pod, cid in pods:
            self.rt.cri.start_container(cid)
        self.agent.wait_for(lambda ev: len(ev) >= 1, timeout=30)
        self.assertEqual([(e["event"], e["path"]) + workload(e)
                          for e in self.agent.settle(quiet=1.0)],
                         [("CREATE", "/data/first", "eager-1", "prod", "app",
                           "pn.local/busybox:1")])
        self.assertEqual(self.agent.metrics()["panoptes_events_unnamed_total"], 0)

    def test_refused_pod_stops_at_the_kernels_gate(self):
        """A pod no selector wants costs what an unwatched one does once it is named: its
        first records are decided and its container's cgroup gets a kernel entry with no
        operations, so its later writes are gated before any record is built (the kernel
        emits nothing for them). A reload that makes the selector want it lifts that at
        once, and the entry goes with the container's cgroup."""
        policy = os.path.join(self.rt.dir, "gate.yaml")

        def write_policy(namespaces):
            with open(policy, "w") as f:
                f.write("name: gate\n"
                        "targets:\n"
                        f"  namespaces: {json.dumps(namespaces)}\n"
                        "subjects:\n"
                        "  - paths: [/data]\n"
                        "    recursive: true\n"
                        "    events: [create, modify]\n")

        first = ["/bin/sh", "-c", "echo a > /data/first; exec sleep 2147483647"]
        steps = [STEPS[0], STEPS[1], STEPS[2].replace("1 2 3", "1 2 3 4")]
        wanted, refused = self.pod("gate-1", "prod", first), self.pod("gate-2", "staging", steps)
        write_policy(["prod"])
        self.agent = Agent(["--policy", policy, "--cri-endpoint", self.rt.endpoint])
        self.wait_metric("panoptes_cri_connected", 1)
        self.run_all([wanted])
        self.rt.cri.start_container(refused[1])
        self.go(*refused, name="go1")
        self.agent.wait_for(lambda ev: len(ev) >= 2, timeout=30)
        self.wait_metric("panoptes_selector_excluded_cgroups", 1, timeout=30)
        before = self.agent.metrics()
        self.go(*refused, name="go2")
        with open(os.path.join(self.cgroup_dir(*refused), "cgroup.procs")) as f:
            root = f"/proc/{int(f.read().split()[0])}/root"

        def written():
            try:
                with open(f"{root}/data/f2") as f:
                    return f.read() == "2\n"
            except FileNotFoundError:
                return False

        deadline = time.monotonic() + 30
        while not written():
            self.assertLess(time.monotonic(), deadline, "the refused pod did not write f2")
            time.sleep(0.02)
        after = self.agent.metrics()
        self.assertEqual(after["panoptes_kernel_emitted_total"],
                         before["panoptes_kernel_emitted_total"])
        self.assertGreater(after["panoptes_kernel_gated_total"],
                           before["panoptes_kernel_gated_total"])
        self.assertEqual(after["panoptes_selector_exclusions_total"], 1)

        write_policy(["prod", "staging"])
        self.agent.signal(signal.SIGHUP)
        self.wait_metric("panoptes_policy_reloads_total", 1)
        self.assertEqual(self.agent.metrics()["panoptes_selector_excluded_cgroups"], 0)
        self.go(*refused, name="go3")
        self.agent.wait_for(lambda ev: len(ev) >= 4, timeout=30)
        self.assertEqual([(e["event"], e["path"], e["pod"]) for e in self.agent.settle(quiet=1.0)],
                         [("CREATE", "/data/first", "gate-1"), ("MODIFY", "/data/first", "gate-1"),
                          ("CREATE", "/data/f3", "gate-2"), ("MODIFY", "/data/f3", "gate-2")])

        # excluded again by a policy that refuses it, then let go with its cgroup
        write_policy(["prod"])
        self.agent.signal(signal.SIGHUP)
        self.wait_metric("panoptes_policy_reloads_total", 2)
        self.go(*refused, name="go4")
        self.wait_metric("panoptes_selector_excluded_cgroups", 1, timeout=30)
        self.assertEqual(self.agent.metrics()["panoptes_selector_exclusions_total"], 2)
        self.rt.cri.remove_pod(refused[0])
        self.pods.remove(refused[0])
        self.wait_metric("panoptes_selector_excluded_cgroups", 0, timeout=30)

    def test_container_name_and_image_selector_in_a_policy(self):
        pods = [self.pod("web-3", "prod"), self.pod("web-4", "prod", container="sidecar"),
                self.pod("web-5", "prod", image=PAUSE)]
        policy = os.path.join(self.rt.dir, "selector.yaml")
        with open(policy, "w") as f:
            f.write("name: app-data\n"
                    "targets:\n"
                    "  cgroups: [/kubepods]\n"
                    "  containerNames: [app]\n"
                    "  images: ['pn.local/busybox:*']\n"
                    "subjects:\n"
                    "  - paths: [/data]\n"
                    "    recursive: true\n"
                    "    events: [create, modify]\n")
        self.agent = Agent(["--policy", policy, "--cri-endpoint", self.rt.endpoint])
        self.run_all(pods)
        self.agent.wait_for(lambda ev: len(ev) >= len(EXPECTED), timeout=30)
        # web-4's container is not "app", web-5's image is not busybox
        self.assertEqual(self.by_pod(self.agent.settle(quiet=1.0)), {"web-3": EXPECTED})

    def test_pod_label_selectors(self):
        # each pod is labelled app=<its name> (self.pod); none has canary
        pods = [self.pod("web-7", "prod"), self.pod("api-7", "prod"), self.pod("db-7", "prod")]
        policy = os.path.join(self.rt.dir, "labels.yaml")
        with open(policy, "w") as f:
            f.write("name: by-labels\n"
                    "targets:\n"
                    "  podSelector:\n"
                    "    matchExpressions:\n"
                    "      - {key: app, operator: In, values: [web-7, db-7]}\n"
                    "      - {key: canary, operator: DoesNotExist}\n"
                    "subjects:\n"
                    "  - paths: [/data]\n"
                    "    recursive: true\n"
                    "    events: [create, modify]\n")
        # the flag's kubectl syntax beside the policy's LabelSelector, in one agent
        self.agent = Agent(["--policy", policy, "--watch-selector", "app notin (web-7,db-7)",
                            "--name", "others", "--path", "/data", "--recursive",
                            "--events", "create", "--cri-endpoint", self.rt.endpoint])
        self.run_all(pods)
        self.agent.wait_for(lambda ev: len(ev) >= 2 * len(EXPECTED) + 3, timeout=30)
        got = {}
        for e in self.agent.settle(quiet=1.0):
            got.setdefault((e["watch"], e["pod"]), []).append((e["event"], e["path"]))
        creates = [ev for ev in EXPECTED if ev[0] == "CREATE"]
        self.assertEqual(got, {("by-labels", "web-7"): EXPECTED, ("by-labels", "db-7"): EXPECTED,
                               ("others", "api-7"): creates})

    def test_selector_watch_over_the_api(self):
        """panoptesctl's selector flags, over the native API, within the agent's default
        --api-cgroup-root (the pods' cgroups): a selector alone watches the node's pods."""
        pods = [self.pod("web-13", "prod"), self.pod("db-13", "prod"),
                self.pod("web-14", "staging")]
        self.agent = GrpcAgent(["--cri-endpoint", self.rt.endpoint], output="json",
                               cgroup_roots=())
        r = subprocess.run([os.environ.get("PANOPTESCTL", "panoptesctl"), "--server", self.agent.socket_addr, "watch", "create",
                            "by-api", "--watch-namespace", "prod", "--watch-selector",
                            "app in (web-13,web-14)", "--path", "/data", "--recursive",
                            "--events", "create,modify", "--output", "json"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stderr), (0, ""), self.agent.stderr_lines)
        info = json.loads(r.stdout)
        self.assertEqual(info["watch"]["targets"]["cgroups"], [])
        self.assertEqual([c["path"] for c in info["cgroups"]],
                         [os.path.join(cgroup2_root(), "kubepods")])
        self.run_all(pods)
        self.agent.wait_for(lambda ev: len(ev) >= len(EXPECTED), timeout=30)
        # db-13 is in prod but not web-*, web-14 is web-* but not in prod
        self.assertEqual(self.by_pod(self.agent.settle(quiet=1.0)), {"web-13": EXPECTED})

    def pid_of(self, pod, cid):
        with open(os.path.join(self.cgroup_dir(pod, cid), "cgroup.procs")) as f:
            return int(f.read().split()[0])

    def guard_ctl(self, *args):
        r = subprocess.run([os.environ.get("PANOPTESCTL", "panoptesctl"), "--server",
                            self.agent.socket_addr, "guard"] + list(args),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stderr), (0, ""), self.agent.stderr_lines[-20:])
        return r.stdout

    def guard_pids(self, name):
        return {p for line in self.guard_ctl("list", "--output", "json").splitlines()
                for g in [json.loads(line)] if g["name"] == name for p in g["pids"]}

    def read_once(self, pods):
        """Lets each READER pod open its file: {pod: (exit code, what it read, EPERM)}."""
        results = {}
        for pod, cid in pods:
            self.go(pod, cid)
        for pod, cid in pods:
            root = f"/proc/{self.pid_of(pod, cid)}/root/data"
            deadline = time.monotonic() + 20
            while not os.path.exists(f"{root}/rc"):
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            time.sleep(0.05)  # rc's line written whole
            with open(f"{root}/rc") as rc, open(f"{root}/out") as out, \
                    open(f"{root}/err") as err:
                results[pod.name] = (rc.read().strip(), out.read(),
                                     "Operation not permitted" in err.read())
        return results

    def test_guard_by_selector_follows_the_pods(self):
        """A guard whose targets are a selector (panoptesctl's flags, the native API):
        the running pods it admits are guarded, one started later is guarded once the
        runtime says it runs, a pod of another namespace reading the same file of the same
        image is not, and a pod that went is let go."""
        early, other = self.pod("guard-1", "prod", READER), self.pod("guard-2", "staging", READER)
        for pod, cid in (early, other):
            self.rt.cri.start_container(cid)
        self.agent = GrpcAgent(["--cri-endpoint", self.rt.endpoint],
                               cgroup_roots=())
        self.wait_metric("panoptes_cri_containers", 2)
        info = json.loads(self.guard_ctl("create", "prod-config", "--watch-namespace", "prod",
                                         "--deny", "/etc/app/config", "--operations", "open",
                                         "--output", "json"))
        self.assertEqual((info["targets"]["namespaces"], info["targets"]["containers"]),
                         (["prod"], []))
        early_pid = self.pid_of(*early)
        self.assertIn(early_pid, info["pids"])
        self.assertNotIn(self.pid_of(*other), info["pids"])
        # enforced by BPF LSM in the vfs guests, by fanotify on this machine's kernel
        mech = pn_e2e.guard_mechanism(self.agent)
        self.assertEqual(self.agent.metrics().get(
            f'panoptes_guard_mechanism{{mechanism="{mech}"}}'), 1)
        text = self.guard_ctl("list")
        self.assertIn(" --watch-namespace prod --deny /etc/app/config", text)

        late = self.pod("guard-3", "prod", READER)
        self.rt.cri.start_container(late[1])
        deadline = time.monotonic() + 20
        while self.pid_of(*late) not in self.guard_pids("prod-config"):
            self.assertLess(time.monotonic(), deadline, self.agent.stderr_lines[-20:])
            time.sleep(0.05)
        since = len(self.agent.lines)
        self.assertEqual(self.read_once((early, other, late)), {"guard-1": ("1", "", True), "guard-2": ("0", "v1\n", False),
                                   "guard-3": ("1", "", True)})
        self.agent.wait_for(lambda ls: len(ls) >= since + 2, timeout=20)
        self.assertEqual(self.agent.settle(quiet=0.5)[since:],
                         ["<DENY> OPEN_PERM file '/etc/app/config' (:node-e2e) "] * 2)

        # the early pod goes: the guard keeps the late one, and stays for pods to come
        self.rt.cri.remove_pod(early[0])
        self.pods.remove(early[0])
        deadline = time.monotonic() + 20
        while early_pid in self.guard_pids("prod-config"):
            self.assertLess(time.monotonic(), deadline, self.agent.stderr_lines[-20:])
            time.sleep(0.05)
        self.assertIn(self.pid_of(*late), self.guard_pids("prod-config"))
        self.assertEqual([l for l in self.agent.stderr_lines if "prod-config: its" in l][-1],
                         "panoptesd: guard prod-config: its selector admits 1 running "
                         "container(s)")
        # under ASan (e2e/cri_asan): the remakes leaked nothing
        self.agent.stop_clean()
        self.agent = None

    def test_policy_guard_by_selector_holds_its_pods_when_ready(self):
        """A policy file's guard by pod labels: the pods that run before the agent are
        guarded by the time it says ready, though the runtime is slow to give its first
        list (the agent waits for it, bounded)."""
        policy = os.path.join(self.rt.dir, "guard-labels.yaml")
        with open(policy, "w") as f:
            f.write("guards:\n"
                    "  - name: web-config\n"
                    "    targets: {podSelector: {matchLabels: {app: gweb-1}}}\n"
                    "    subjects: [{deny: [/etc/app/config]}]\n")
        pods = [self.pod("gweb-1", "prod", READER), self.pod("gweb-2", "prod", READER)]
        for pod, cid in pods:
            self.rt.cri.start_container(cid)
        slow = SlowRuntime(self.rt.endpoint, os.path.join(self.rt.dir, "slow-list.sock"))
        self.addCleanup(slow.close)
        slow.pause()
        threading.Timer(0.6, slow.resume).start()
        self.agent = Agent(["--policy", policy, "--cri-endpoint", slow.endpoint],
                           output="text")
        # in force when ready: made with it, or remade once the runtime had listed it
        log = [l for l in self.agent.stderr_lines
               if "guard web-config: its selector admits 1 " in l or "ready: " in l]
        self.assertIn("guard web-config: its selector admits 1 running container(s)", log[0])
        self.assertEqual(self.read_once(pods), {"gweb-1": ("1", "", True),
                                                "gweb-2": ("0", "v1\n", False)})
        self.agent.wait_for(lambda ls: len(ls) >= 1, timeout=20)
        self.assertEqual(self.agent.settle(quiet=0.5),
                         ["<DENY> OPEN_PERM file '/etc/app/config' (:node-e2e) "])

    def test_shipped_policy_sees_every_pod(self):
        """deploy/'s ConfigMap sample, as the DaemonSet loads it, under this containerd."""
        import yaml
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "deploy",
                               "configmap-policy.yaml")) as f:
            sample = yaml.safe_load(f)["data"]["policy.yaml"]
        policy = os.path.join(self.rt.dir, "sample.yaml")
        with open(policy, "w") as f:
            f.write(sample)
        etc = ["/bin/sh", "-c", "while [ ! -e /data/go ]; do sleep 0.02; done; "
               "echo a > /etc/pn-sample; exec sleep 2147483647"]
        pods = [self.pod("web-8", "prod", etc), self.pod("db-8", "staging", etc)]
        self.agent = Agent(["--policy", policy, "--cri-endpoint", self.rt.endpoint])
        self.run_all(pods)
        self.agent.wait_for(lambda ev: len(ev) >= 4, timeout=30)
        got = sorted((e["watch"], e["pod"], e["namespace"], e["event"], e["path"])
                     for e in self.agent.settle(quiet=1.0))
        self.assertEqual(got, [("pods-etc", pod, ns, ev, "/etc/pn-sample")
                               for pod, ns in (("db-8", "staging"), ("web-8", "prod"))
                               for ev in ("CREATE", "MODIFY")])

    def test_selector_without_a_runtime_counts_what_it_cannot_decide(self):
        pods = [self.pod("web-6", "prod")]
        missing = os.path.join(self.rt.dir, "no-such.sock")
        self.agent = Agent(["--watch-namespace", "prod", "--path", "/data", "--recursive",
                            "--events", "create,modify", "--cri-endpoint", "unix://" + missing])
        self.run_all(pods)
        # whose pod it is cannot be told: nothing reported, every event counted
        deadline = time.monotonic() + 30
        while self.agent.metrics()["panoptes_events_unnamed_total"] < len(EXPECTED):
            self.assertLess(time.monotonic(), deadline, self.agent.metrics())
            time.sleep(0.1)
        self.assertEqual(self.agent.settle(), [])
        self.assertEqual(self.agent.metrics()["panoptes_events_unnamed_total"], len(EXPECTED))

    def test_unreachable_runtime_said_once(self):
        pod, cid = self.pod("gone-1", "prod")
        self.rt.cri.start_container(cid)
        missing = os.path.join(self.rt.dir, "no-such.sock")
        self.agent = Agent(["--watch-container", cid, "--path", "/data", "--recursive",
                            "--events", "create,modify", "--cri-endpoint", "unix://" + missing])
        line = self.agent.wait_log(lambda l: "container runtime:" in l)
        self.assertIn(f"cannot reach unix://{missing}", line or "", self.agent.stderr_lines)
        self.go(pod, cid)
        self.agent.wait_for(lambda ev: len(ev) >= len(EXPECTED), timeout=30)
        events = self.agent.settle()
        self.assertEqual(brief(events), EXPECTED)
        # what the cgroup path says still comes; what only the runtime says does not,
        # and each event says that it lacks it
        self.assertEqual({(e["container_id"], e["pod_uid"]) + workload(e)
                          + (e.get("identity_incomplete"),) for e in events},
                         {(cid, pod.uid, "", "", "", "", True)})
        said = [l for l in self.agent.stderr_lines if "container runtime:" in l]
        self.assertEqual(len(said), 1, self.agent.stderr_lines)
        m = self.agent.metrics()
        self.assertEqual((m["panoptes_cri_connected"], m["panoptes_cri_lookups_total"],
                          m["panoptes_events_identity_incomplete_total"]),
                         (0, 0, len(EXPECTED)))
        self.assertGreaterEqual(m["panoptes_cri_failures_total"], 1)

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
        # no container id read: nothing to ask a runtime about, nothing missing
        self.assertFalse(any("identity_incomplete" in e for e in events))
        warned = [l for l in self.agent.stderr_lines if "CAP_DAC_READ_SEARCH" in l]
        self.assertEqual(len(warned), 1, self.agent.stderr_lines)


if __name__ == "__main__":
    unittest.main(verbosity=2)
