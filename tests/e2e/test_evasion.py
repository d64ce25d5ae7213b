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
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from pn_e2e import ATTACK, SLOWFS, WORKLOAD, Agent, AgentCase, enter_cgroup
from pn_grpc import Api, GrpcAgent, StreamReader, channel
from runc_bundle import ContainerCase, RuncContainer


def counts(text):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", text)}


def wait_stopped(pid, timeout=5):
    """Until process pid is stopped (SIGSTOP taken)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "T":
                return
        time.sleep(0.01)
    raise AssertionError(f"panoptesd {pid} did not stop")


class Evasion(AgentCase):
    cgroup_name = "evasion"

    def attack(self, *args, timeout=120):
        """Runs pn_attack inside the watched cgroup; returns its counts as a dict."""
        p = subprocess.run([ATTACK] + list(args), preexec_fn=enter_cgroup(self.cg.path),
                           capture_output=True, text=True, timeout=timeout)
        self.assertEqual(p.returncode, 0, p.stderr)
        return counts(p.stdout)

    def test_name_rewritten_while_unlink_waits(self):
        """Unlinks of watched files until 50 had their name buffer say /tmp/decoy/x
        before they returned: a DELETE with the real name for every file
        unlinked, none for the decoy."""
        d = f"{self.tmp.path}/w"
        os.mkdir(d)
        # the large directory whose getdents64() keeps the lock; made outside the cgroup
        subprocess.run([ATTACK, "fill", d, "150000"], check=True, timeout=120)
        decoy = f"/tmp/pn-decoy-{os.getpid()}/x"
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", d, "--events", "delete"])
        n = 50
        got = self.attack("namerace", d, decoy, str(n))
        # the attack did what it says: n names rewritten while unlink() was in the kernel
        self.assertEqual(got["raced"], n, got)
        deleted = got["deleted"]
        events = self.agent.wait_for(lambda ev: len(ev) >= deleted, timeout=30)
        events = self.agent.settle()
        self.assertEqual(sorted(e["path"] for e in events),
                         sorted(f"{d}/t{i}" for i in range(deleted)))
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
        if self.agent.backend == "syscalls":
            self.assertGreaterEqual(c["failed"], 1)
        # else the vfs backend reports a read or write when the LSM permits it, before
        # the copy fails: the failed write is the MODIFY, the real one folded into it
        self.assertEqual(c["pending_full"], 0)

    def test_names_through_symlinks_and_dotdot(self):
        """l -> the watched directory: rm, chmod, mv, mkdir, truncate through l are
        reported with the watched names; rm watched/lnk/../g (lnk pointing outside)
        removes a file outside and is reported as nothing; chmod and truncate of a
        link outside pointing at a watched file change that file and are reported on
        it, lchown of the link changes the link and is not."""
        d = self.tmp.path
        w = f"{d}/watched"
        os.makedirs(f"{d}/elsewhere")
        os.mkdir(w)
        for name in ("f1", "f2", "f3", "f4"):
            with open(f"{w}/{name}", "w") as f:
                f.write("data")
        open(f"{d}/g", "w").close()
        os.symlink(w, f"{d}/l")
        os.symlink(f"{d}/elsewhere", f"{w}/lnk")
        # outside, pointing in: chmod and truncate follow it, lchown does not
        os.symlink(f"{w}/f4", f"{d}/tl")
        # a container has its init; here a sleeper stands in for it, so the names of
        # the short-lived workload can be resolved after it exited
        sleeper = subprocess.Popen(["sleep", "60"], preexec_fn=enter_cgroup(self.cg.path))
        try:
            self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", w, "--recursive",
                                "--events", "attrib,modify,move,create,delete"])
            self.cg.run([WORKLOAD, f"unlink:{d}/l/f1", f"chmod:{d}/l/f2:600",
                         f"rename:{d}/l/f3:{d}/x", f"mkdir:{d}/l/new", f"truncate:{d}/l/f4",
                         f"unlink:{w}/lnk/../g", f"cd:{d}/l", "unlink:new/../f2",
                         f"chmod:{d}/tl:640", f"truncate:{d}/tl"])
            expected = [("DELETE", f"{w}/f1"), ("ATTRIB", f"{w}/f2"), ("MOVED_FROM", f"{w}/f3"),
                        ("CREATE", f"{w}/new"), ("MODIFY", f"{w}/f4"), ("DELETE", f"{w}/f2"),
                        ("ATTRIB", f"{w}/f4"), ("MODIFY", f"{w}/f4")]
            events = self.agent.wait_for(lambda ev: len(ev) >= len(expected))
            # once those are read: lchown changes the link's ctime, which reads as a
            # link changed since any call still unread (names.h)
            self.cg.run([WORKLOAD, f"lchown:{d}/tl"])
            events = self.agent.settle()
        finally:
            sleeper.kill()
            sleeper.wait()
        self.assertEqual([(e["event"], e["path"]) for e in events], expected)
        self.assertFalse(os.path.exists(f"{d}/g"))  # the ".." removed the outside file
        self.assertFalse(any(e.get("unresolved") for e in events))

    def test_symlink_repointed_before_the_agent_reads(self):
        """rm l/f with l -> the watched directory, then l pointed elsewhere before
        panoptesd reads the record: looked up now, l/f would name the decoy. The
        link's ctime is after the call, so the name is reported as text, flagged
        and sent to every subject."""
        d = self.tmp.path
        w = f"{d}/watched"
        os.makedirs(f"{d}/elsewhere")
        os.mkdir(w)
        open(f"{w}/f1", "w").close()
        open(f"{d}/elsewhere/f1", "w").close()
        os.symlink(w, f"{d}/l")
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", w, "--recursive",
                            "--events", "delete"])
        if self.agent.backend == "vfs":
            self.skipTest("the vfs backend reports the dentries the kernel walked: no text")
        self.agent.signal(signal.SIGSTOP)
        try:
            wait_stopped(self.agent.proc.pid)
            self.cg.run([WORKLOAD, f"unlink:{d}/l/f1"])
            os.remove(f"{d}/l")
            os.symlink(f"{d}/elsewhere", f"{d}/l")
        finally:
            self.agent.signal(signal.SIGCONT)
        self.assertFalse(os.path.exists(f"{w}/f1"))
        self.agent.wait_for(lambda ev: len(ev) >= 1)
        self.assertEqual([(e["event"], e["path"], e.get("unresolved"))
                          for e in self.agent.settle()], [("DELETE", f"{d}/l/f1", True)])

    def test_write_through_an_outside_hard_link(self):
        """ln watched/f h; echo evil >> h; chmod h; truncate h: each event names h,
        flagged multilink, and reaches the watch of watched/; the same on a file
        with one link outside reaches nothing."""
        d = self.tmp.path
        w = f"{d}/watched"
        os.mkdir(w)
        with open(f"{w}/f", "w") as f:
            f.write("good\n")
        os.link(f"{w}/f", f"{d}/h")
        with open(f"{d}/single", "w") as f:
            f.write("x")
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", w, "--recursive",
                            "--events", "modify,attrib"])
        self.cg.run([WORKLOAD, f"write:{d}/single:x", f"chmod:{d}/single:600",
                     f"truncate:{d}/single", f"write:{d}/h:evil"])
        with open(f"{w}/f") as f:
            self.assertEqual(f.read(), "good\nevil")
        # by name: the kernel's inode on vfs, the agent's lookup of the name on syscalls,
        # through the sleeper (the container's init) once the workload has exited
        sleeper = subprocess.Popen(["sleep", "60"], preexec_fn=enter_cgroup(self.cg.path))
        try:
            self.cg.run([WORKLOAD, f"chmod:{d}/h:600", f"truncate:{d}/h"])
            events = self.agent.wait_for(lambda ev: len(ev) >= 3)
            events = self.agent.settle()
        finally:
            sleeper.kill()
            sleeper.wait()
        self.assertEqual([(e["event"], e["path"], e.get("multilink")) for e in events],
                         [("MODIFY", f"{d}/h", True), ("ATTRIB", f"{d}/h", True),
                          ("MODIFY", f"{d}/h", True)])
        st = os.stat(f"{w}/f")
        self.assertEqual((st.st_size, st.st_mode & 0o777), (0, 0o600))

    def test_activity_deeper_than_path_max(self):
        """Directories and a file 5,000 bytes below a recursive watch: every CREATE is
        reported, those past PATH_MAX with the path's last 4095 bytes, flagged."""
        d = self.tmp.path
        names = [f"{i:02d}" + "x" * 198 for i in range(25)]
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", d, "--recursive",
                            "--events", "create"])
        # relative steps: no single name the process passes is longer than PATH_MAX
        top, bottom = "/".join(names[:12]), "/".join(names[12:])
        self.cg.run([WORKLOAD, f"cd:{d}", f"mkdirp:{top}", f"cd:{top}", f"mkdirp:{bottom}",
                     f"cd:{bottom}", "create:f"])
        full = [d + "/" + "/".join(names[:i + 1]) for i in range(len(names))]
        full.append(full[-1] + "/f")
        events = self.agent.wait_for(lambda ev: len(ev) >= len(full), timeout=20)
        events = self.agent.settle()
        self.assertEqual(len(events), len(full), [e["path"][-40:] for e in events])
        cut = 0
        for e, want in zip(events, full):
            self.assertEqual(e["event"], "CREATE")
            if len(want) < 4096:
                self.assertEqual((e["path"], e["truncated"]), (want, False))
                continue
            cut += 1
            self.assertTrue(e["truncated"], e["path"][:60])
            self.assertTrue(want.endswith(e["path"]), e["path"][:60])
            self.assertGreater(len(e["path"]), 3800)
        self.assertGreaterEqual(cut, 5)


class UnresolvedName(AgentCase):
    """A name the agent reads after its process and cgroup are gone is looked up
    in the root that process had, while the agent holds a root like it (its own
    namespace's, or one it resolved a name in before). A root never seen before
    leaves no way to ask: the name is flagged, in panoptesd's JSON, the native
    gRPC Event and `panoptesctl events`, and given to every subject that wants
    the event, since a symlink in it may have led anywhere."""
    cgroup_name = "evasion-unresolved"

    def test_name_read_after_the_cgroup_emptied(self):
        d = self.tmp.path
        for name in ("gone", "kept", "own", "through"):
            open(f"{d}/{name}", "w").close()
        outside = tempfile.mkdtemp(prefix="pn-outside-")
        self.addCleanup(shutil.rmtree, outside, True)
        os.symlink(d, f"{outside}/l")
        self.agent = GrpcAgent(["--watch-cgroup", self.cg.path, "--path", d,
                                "--events", "delete"], output="json")
        if self.agent.backend == "vfs":
            self.skipTest("the vfs backend reports the dentries the kernel walked: no text")
        ch = channel(self.agent.addr)
        self.addCleanup(ch.close)
        api = Api(ch)
        reader = StreamReader(api.stream_events(api.N.StreamEventsRequest()))
        self.addCleanup(reader.cancel)
        ctl = subprocess.Popen([os.environ.get("PANOPTESCTL", "panoptesctl"), "--server",
                                self.agent.addr, "events", "--output", "json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: ctl.poll() is None and (ctl.kill(), ctl.communicate()))
        api.wait_streams(2)
        # the first unlink is read while its cgroup still has a process: resolved
        sleeper = subprocess.Popen(["sleep", "60"], preexec_fn=enter_cgroup(self.cg.path))
        self.cg.run([WORKLOAD, f"unlink:{d}/kept"])
        self.agent.wait_for(lambda ev: len(ev) >= 1)
        sleeper.kill()
        sleeper.wait()
        # the others are read only after the cgroup emptied: one from the agent's own mount
        # namespace, two from a new one whose only process has exited
        self.agent.signal(signal.SIGSTOP)
        try:
            wait_stopped(self.agent.proc.pid)
            self.cg.run([WORKLOAD, f"unlink:{outside}/l/own"])
            self.cg.run(["unshare", "--mount", WORKLOAD, f"unlink:{d}/gone",
                         f"unlink:{outside}/l/through"])
        finally:
            self.agent.signal(signal.SIGCONT)
        self.assertFalse(os.path.exists(f"{d}/own") or os.path.exists(f"{d}/through"))
        # the text of the last names no watched path; the flag sends it to the watch
        want = [(f"{d}/kept", None), (f"{d}/own", None), (f"{d}/gone", True),
                (f"{outside}/l/through", True)]
        events = self.agent.wait_for(lambda ev: len(ev) >= 4)
        events = self.agent.settle()
        self.assertEqual([(e["event"], e["path"], e.get("unresolved")) for e in events],
                         [("DELETE", p, u) for p, u in want])
        reader.wait_count(4)
        self.assertEqual([(e.path, e.unresolved) for e in reader.settle()],
                         [(p, bool(u)) for p, u in want])
        ctl.send_signal(signal.SIGINT)
        out, err = ctl.communicate(timeout=30)
        self.assertEqual(ctl.returncode, 0, err)
        self.assertEqual([(e["path"], e.get("unresolved")) for e in map(json.loads,
                                                                         out.splitlines())],
                         want)


class StuckLookup(AgentCase):
    """A filesystem that never answers the agent (a container's FUSE server, a
    hung network mount) cannot stop its events: a name the agent looks up
    there is given --lookup-timeout-ms, then reported flagged unresolved,
    while the next names, elsewhere, are looked up by a new worker. Past
    PN_LOOKUPS_STUCK stuck lookups, or their time spent, names are not looked
    up at all until the filesystem answers again (src/agent/lookups.h)."""
    cgroup_name = "evasion-stuck"

    def mount_slowfs(self, mnt):
        if not os.path.exists("/dev/fuse"):
            self.skipTest("no /dev/fuse: the kernel has no FUSE")
        os.mkdir(mnt)
        fs = subprocess.Popen([SLOWFS, mnt], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)

        def unmount():
            fs.stdin.close()
            try:
                fs.wait(timeout=10)
            except subprocess.TimeoutExpired:
                fs.kill()
                fs.wait()
                subprocess.run(["umount", "-l", mnt], capture_output=True)
            fs.stdout.close()
        self.addCleanup(unmount)
        self.assertEqual(fs.stdout.readline(), "mounted\n", "pn_slowfs did not mount")
        return fs

    def tell(self, fs, command):
        fs.stdin.write(command + "\n")
        fs.stdin.flush()
        self.assertEqual(fs.stdout.readline(), "ok\n")

    def threads(self):
        return len(os.listdir(f"/proc/{self.agent.proc.pid}/task"))

    def test_lookup_in_a_filesystem_that_never_answers(self):
        d = self.tmp.path
        mnt = f"{d}/fuse"
        fs = self.mount_slowfs(mnt)
        open(f"{d}/plain", "w").close()
        open(f"{d}/after", "w").close()
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", d, "--recursive",
                            "--events", "delete", "--lookup-timeout-ms", "100"])
        names = self.agent.backend == "syscalls"  # the vfs backend looks nothing up
        idle = self.threads()
        self.tell(fs, f"hang {self.agent.proc.pid}")

        def unlink(*paths, n):
            start = time.monotonic()
            self.cg.run([WORKLOAD] + [f"unlink:{p}" for p in paths])
            self.agent.wait_for(lambda ev: len(ev) >= n, timeout=10)
            # the consumer waited 100 ms a lookup at most, not for the filesystem
            self.assertLess(time.monotonic() - start, 5, ([e["path"] for e in self.agent.lines],
                                                          self.agent.counters()))
            return [(e["path"], e.get("unresolved")) for e in self.agent.lines[n - len(paths):n]]

        flag = True if names else None
        self.assertEqual(unlink(f"{mnt}/d/f1", n=1), [(f"{mnt}/d/f1", flag)])
        # a name elsewhere is looked up by a new worker while the first waits
        time.sleep(1.1)  # the lookups' time allowance refilled
        self.assertEqual(unlink(f"{d}/plain", n=2), [(f"{d}/plain", None)])
        # a burst into the stuck filesystem: bounded by the stuck workers and the allowance
        burst = [f"{mnt}/d/b{i}" for i in range(6)]
        self.assertEqual(unlink(*burst, n=8), [(p, flag) for p in burst])
        c = self.agent.counters()
        if names:
            self.assertEqual(c["lookups_timed_out"] + c["lookups_skipped"], 7, c)
            self.assertTrue(1 <= c["lookups_timed_out"] <= 4, c)
        else:
            self.assertEqual((c["lookups_timed_out"], c["lookups_skipped"]), (0, 0), c)
        # the filesystem answers again: the stuck workers end, names resolve
        self.tell(fs, "release")
        time.sleep(1.1)
        self.assertEqual(unlink(f"{mnt}/d/f2", f"{d}/after", n=10),
                         [(f"{mnt}/d/f2", None), (f"{d}/after", None)])
        deadline = time.monotonic() + 10
        while self.threads() > idle + names and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.threads(), idle + names, "stuck workers not joined")
        self.assertEqual(self.agent.settle(), self.agent.lines[:10])
        c2 = self.agent.counters()
        self.assertEqual((c2["lookups_timed_out"], c2["lookups_skipped"]),
                         (c["lookups_timed_out"], c["lookups_skipped"]))


class ContainerEvasion(ContainerCase):
    """The same attacks from inside a runc container, paths as the container sees them."""

    def test_name_race_and_descriptor_swap_in_a_container(self):
        n = 10
        self.c = RuncContainer("evasion", [
            "/bin/sh", "-c", f"/pn_attack namerace /data/w /tmp/decoy {n} && "
            "/pn_attack fdswap /data/f /tmp/decoy2 64"],
            extra_files=[(ATTACK, "/pn_attack")])
        os.mkdir(f"{self.c.rootfs}/data/w")
        open(f"{self.c.rootfs}/data/f", "w").close()
        subprocess.run([ATTACK, "fill", f"{self.c.rootfs}/data/w", "150000"], check=True,
                       timeout=120)
        self.c.create()
        self.agent = Agent(["--watch-container", f"runc://{self.c.id}", "--path", "/data",
                            "--recursive", "--events", "delete,modify"])
        self.c.start()
        deadline = time.monotonic() + 120
        while self.c.state()["status"] != "stopped" and time.monotonic() < deadline:
            time.sleep(0.1)
        with open(self.c.log) as f:
            out = f.read()
        lines = [l for l in out.splitlines() if "=" in l]
        self.assertEqual(len(lines), 2, out)
        race, swap = counts(lines[0]), counts(lines[1])
        self.assertEqual(race["raced"], n, out)
        self.assertEqual(swap, {"written": 64 << 20, "raced": 1}, out)
        deleted = race["deleted"]
        events = self.agent.wait_for(lambda ev: len(ev) >= deleted + 1, timeout=30)
        events = self.agent.settle()
        self.assertEqual(sorted((e["event"], e["path"]) for e in events),
                         sorted([("DELETE", f"/data/w/t{i}") for i in range(deleted)] +
                                [("MODIFY", "/data/f")]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
