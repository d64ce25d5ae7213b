#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A real runc container: container-relative paths, the container's pid and
comm, resolution by container id, and the watch going away with it. An
agent in a cgroup namespace of its own (a DaemonSet pod on a cgroup v2
node) places a pid by where its cgroup2 mount lies, from a flag and over
the API, and says what it cannot place with FAILED_PRECONDITION."""
import os
import time
import unittest
from unittest import mock

import grpc

import pn_e2e
from pn_e2e import WORKLOAD, Agent, Cgroup, brief
from pn_grpc import Api, GrpcAgent
from runc_bundle import ContainerCase, RuncContainer


class AgentInCgroupNamespace(ContainerCase):
    def test_pid_targets_from_a_cgroup_namespace(self):
        self.c = RuncContainer("cgns", [
            "/bin/sh", "-c", "while [ ! -e /data/go ]; do sleep 0.02; done; echo a > /data/f; "
            "exec sleep 600"])
        self.c.create()
        self.c.start()
        pid = self.c.state()["pid"]
        # the agent in a cgroup of its own, then a namespace rooted there: it reads
        # "0::/../<container>" for the container, and the host's mount as /..
        home = Cgroup("cgns-agent")
        self.addCleanup(home.close)
        wrapper = os.path.join(self.c.bundle, "panoptesd-cgns")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\necho $$ > "%s/cgroup.procs"\nexec unshare --cgroup "%s" "$@"\n'
                    % (home.path, pn_e2e.PANOPTESD))
        os.chmod(wrapper, 0o755)
        with open(f"/proc/{pid}/cgroup") as f:
            host_view = [l for l in f.read().splitlines() if l.startswith("0::")][0]
        with mock.patch.object(pn_e2e, "PANOPTESD", wrapper):
            self.agent = GrpcAgent(["--watch-pid", str(pid), "--path", "/data",
                                    "--events", "create", "--name", "by-flag"], output="json")
        ch = grpc.insecure_channel(self.agent.addr)
        self.addCleanup(ch.close)
        api = Api(ch)
        w = api.N.Watch(name="by-api", targets=api.N.Targets(pids=[pid]))
        w.subjects.add(paths=["/data"], events=[api.N.EVENT_TYPE_CREATE])
        info = api.n_create(api.N.CreateWatchRequest(watch=w), timeout=10)
        want = os.stat(os.path.join(pn_e2e.cgroup2_root(), host_view[4:])).st_ino
        self.assertEqual([c.id for c in info.cgroups], [want])
        open(f"/proc/{pid}/root/data/go", "w").close()
        self.agent.wait_for(lambda ev: len(ev) >= 2, timeout=20)
        self.assertEqual(sorted((e["watch"], e["event"], e["path"], e["cgroup_id"])
                                for e in self.agent.settle()),
                         [("by-api", "CREATE", "/data/f", want),
                          ("by-flag", "CREATE", "/data/f", want)])
        # its own cgroup, "0::/" as it reads it, is the namespace's root, found at start
        w.name = "own"
        w.targets.pids[:] = [self.agent.proc.pid]
        info = api.n_create(api.N.CreateWatchRequest(watch=w), timeout=10)
        self.assertEqual([c.id for c in info.cgroups], [os.stat(home.path).st_ino])
        self.agent.stop()
        self.agent = None

        # a cgroup2 mount of the namespace's own (what a container gets without the
        # host's tree mounted): the container's cgroup is outside what it shows, which
        # is the node's setup, not the request. (The kernel refuses a second mount of
        # the same file system on its mount point: the host's goes first.)
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\necho $$ > "%s/cgroup.procs"\nexec unshare --cgroup --mount '
                    'sh -c \'umount "$1" && mount -t cgroup2 cgroup2 "$1" && shift && exec '
                    '"$0" "$@"\' "%s" "%s" "$@"\n'
                    % (home.path, pn_e2e.PANOPTESD, pn_e2e.cgroup2_root()))
        with mock.patch.object(pn_e2e, "PANOPTESD", wrapper):
            self.agent = GrpcAgent(output="json", cgroup_roots=("/",))
        ch = grpc.insecure_channel(self.agent.addr)
        self.addCleanup(ch.close)
        api = Api(ch)
        w.name = "outside"
        w.targets.pids[:] = [pid]
        with self.assertRaises(grpc.RpcError) as cm:
            api.n_create(api.N.CreateWatchRequest(watch=w), timeout=10)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn(f"pid {pid}: its cgroup cannot be placed in the cgroup2 tree mounted at "
                      f"{pn_e2e.cgroup2_root()}", cm.exception.details())


class ContainerEvents(ContainerCase):
    def test_container_paths_pid_comm(self):
        self.c = RuncContainer("ctr", [
            "/pn_workload", "create:/data/a", "write:/data/a:hi", "mkdir:/data/d",
            "rename:/data/a:/data/d/b", "chmod:/data/d/b:600", "unlink:/data/d/b",
            "rmdir:/data/d", "create:/tmp/not-watched"],
            extra_files=[(WORKLOAD, "/pn_workload")])
        self.c.create()
        host_pid = self.c.state()["pid"]
        self.agent = Agent(["--watch-container", f"runc://{self.c.id}", "--path", "/data",
                            "--recursive", "--events", "create,modify,attrib,move,delete",
                            "--format", "{event} {path}{sep}{file} {comm} {container}"])
        self.c.start()
        expected = [
            ("CREATE", "/data/a"), ("MODIFY", "/data/a"), ("CREATE", "/data/d"),
            ("MOVED_FROM", "/data/a"), ("MOVED_TO", "/data/d/b"), ("ATTRIB", "/data/d/b"),
            ("DELETE", "/data/d/b"), ("DELETE", "/data/d"),
        ]
        events = self.agent.wait_for(lambda ev: len(ev) >= len(expected), timeout=20)
        events = self.agent.settle()
        self.assertEqual(brief(events), expected)
        for e in events:
            # the container's init process execs the workload: same host pid
            self.assertEqual(e["tgid"], host_pid)
            self.assertEqual(e["comm"], "pn_workload")
            self.assertEqual(e["container"], f"runc://{self.c.id}")
        self.assertEqual({e["path"] for e in events if e["is_dir"]}, {"/data/d"})

    def test_watch_removed_when_container_exits(self):
        self.c = RuncContainer("gone", ["/bin/sh", "-c", "echo x > /data/f"])
        self.c.create()
        self.agent = Agent(["--watch-container", self.c.id, "--path", "/data",
                            "--events", "create"])
        self.c.start()
        self.agent.wait_for(lambda ev: len(ev) >= 1, timeout=20)
        self.assertEqual(brief(self.agent.lines), [("CREATE", "/data/f")])
        self.assertEqual(self.agent.lines[0]["comm"], "sh")
        for _ in range(100):
            if self.c.state()["status"] == "stopped":
                break
            time.sleep(0.05)
        self.c.delete()  # removes the container's cgroup
        # the log is what this checks: the agent says what it removed and why
        self.agent.wait_log(lambda l: "watch cli: removed" in l, timeout=10)
        self.assertTrue(any("is gone" in l and "no longer watched" in l
                            for l in self.agent.stderr_lines), self.agent.stderr_lines)
        self.assertTrue(any("watch cli: removed" in l for l in self.agent.stderr_lines))
        code, _ = self.agent.stop()
        self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
