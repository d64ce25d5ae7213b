#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The evasion suite: attacks a process inside a watched cgroup would play to
change a watched file unseen, each asserting the event it must not lose.

This file: what the kernel side captures. A name and a descriptor are taken
when the call starts, from what the kernel is about to use, so neither
rewriting the name buffer while unlink() waits for its directory's lock nor
dup2()ing a decoy over a running write's descriptor hides the change
(docs/events.md, "What an attacker inside a container can and cannot
hide")."""
import os
import re
import subprocess
import unittest

from pn_e2e import ATTACK, Agent, AgentCase, enter_cgroup


class Evasion(AgentCase):
    cgroup_name = "evasion"

    def attack(self, *args, timeout=120):
        """Runs pn_attack inside the watched cgroup; returns its counts as a dict."""
        p = subprocess.run([ATTACK] + list(args), preexec_fn=enter_cgroup(self.cg.path),
                           capture_output=True, text=True, timeout=timeout)
        self.assertEqual(p.returncode, 0, p.stderr)
        return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", p.stdout)}

    def test_name_rewritten_while_unlink_waits(self):
        """50 unlinks of watched files whose name buffer says /tmp/decoy by the time
        each returns: 50 DELETE events with the real names, none for the decoy."""
        d = f"{self.tmp.path}/w"
        os.mkdir(d)
        # the large directory whose getdents64() keeps the lock; made outside the cgroup
        subprocess.run([ATTACK, "fill", d, "150000"], check=True, timeout=120)
        decoy = f"/tmp/pn-decoy-{os.getpid()}/x"
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", d, "--events", "delete"])
        n = 50
        got = self.attack("namerace", d, decoy, str(n))
        self.assertEqual(got["deleted"], n)
        # the attack did what it says: the name was rewritten while unlink() was in the kernel
        self.assertGreaterEqual(got["raced"], n * 9 // 10, got)
        events = self.agent.wait_for(lambda ev: len(ev) >= n, timeout=30)
        events = self.agent.settle()
        self.assertEqual(sorted(e["path"] for e in events),
                         sorted(f"{d}/t{i}" for i in range(n)))
        self.assertEqual({e["event"] for e in events}, {"DELETE"})

    def test_descriptor_swapped_under_a_write(self):
        """write(fd, 256 MiB) into a watched file while another thread dup2()s a decoy
        over fd: the MODIFY names the watched file."""
        d = f"{self.tmp.path}/w"
        os.mkdir(d)
        f = f"{d}/target"
        open(f, "w").close()
        decoy = f"{self.tmp.path}/decoy"
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", d,
                            "--events", "modify"])
        got = self.attack("fdswap", f, decoy, "256")
        self.assertEqual(got["written"], 256 << 20)
        self.assertEqual(got["raced"], 1, "the dup2 must land while write() runs")
        self.assertEqual(os.path.getsize(f), 256 << 20)
        self.assertEqual(os.path.getsize(decoy), 0)
        events = self.agent.wait_for(lambda ev: len(ev) >= 1)
        events = self.agent.settle()
        self.assertEqual([(e["event"], e["path"]) for e in events], [("MODIFY", f)])

    def test_failed_write_does_not_fold_the_next(self):
        """A write that fails (EFAULT) is no event and must not make the next real
        write look like a repeat of it."""
        d = f"{self.tmp.path}/w"
        os.mkdir(d)
        f = f"{d}/target"
        open(f, "w").close()
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", d,
                            "--events", "modify"])
        got = self.attack("badwrite", f)
        self.assertEqual(got, {"failed": 1, "written": 1})
        events = self.agent.wait_for(lambda ev: len(ev) >= 1)
        events = self.agent.settle()
        self.assertEqual([(e["event"], e["path"]) for e in events], [("MODIFY", f)])
        self.agent.stop()
        c = self.agent.counters()
        self.assertGreaterEqual(c["failed"], 1)
        self.assertEqual(c["pending_full"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
