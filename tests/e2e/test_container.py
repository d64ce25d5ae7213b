#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A real runc container: container-relative paths, the container's pid and
comm, resolution by container id, and the watch going away with it."""
import time
import unittest

from pn_e2e import WORKLOAD, Agent, brief
from runc_bundle import ContainerCase, RuncContainer


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
