#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Exact events from a workload in a fresh cgroup v2 child, through the real
kernel programs and panoptesd's JSON output."""
import os
import signal
import unittest

from pn_e2e import BACKEND, WORKLOAD, Agent, AgentCase, Cgroup, brief


class CgroupEvents(AgentCase):
    cgroup_name = "events"

    def setUp(self):
        super().setUp()
        self.other = Cgroup("other")
        self.d = self.tmp.path

    def tearDown(self):
        super().tearDown()
        self.other.close()

    def start(self, *extra):
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", self.d] + list(extra))
        return self.agent

    def workload(self, *steps, cg=None):
        return (cg or self.cg).run([WORKLOAD] + list(steps))

    def test_file_lifecycle_exact(self):
        """create, write, coalesced writes, read, chmod, O_TRUNC, renames, unlink, rmdir, symlink."""
        d = self.d
        with open(f"{d}/t", "w") as f:
            f.write("old content")
        agent = self.start("--recursive")
        pid, _ = self.workload(
            f"create:{d}/f", f"write:{d}/f:hello", f"write3:{d}/f:x", f"read:{d}/f",
            f"chmod:{d}/f:600", f"trunc:{d}/t", f"rename:{d}/f:{d}/g", f"mkdir:{d}/sub",
            f"rename:{d}/g:{d}/sub/h", f"unlink:{d}/sub/h", f"rmdir:{d}/sub",
            f"symlink:t:{d}/l")
        expected = [
            ("CREATE", f"{d}/f"), ("OPEN", f"{d}/f"), ("CLOSE_WRITE", f"{d}/f"),
            ("OPEN", f"{d}/f"), ("MODIFY", f"{d}/f"), ("CLOSE_WRITE", f"{d}/f"),
            ("OPEN", f"{d}/f"), ("MODIFY", f"{d}/f"), ("CLOSE_WRITE", f"{d}/f"),
            ("OPEN", f"{d}/f"), ("ACCESS", f"{d}/f"), ("CLOSE_NOWRITE", f"{d}/f"),
            ("ATTRIB", f"{d}/f"),
            ("MODIFY", f"{d}/t"), ("OPEN", f"{d}/t"), ("CLOSE_WRITE", f"{d}/t"),
            ("MOVED_FROM", f"{d}/f"), ("MOVED_TO", f"{d}/g"),
            ("CREATE", f"{d}/sub"),
            ("MOVED_FROM", f"{d}/g"), ("MOVED_TO", f"{d}/sub/h"),
            ("DELETE", f"{d}/sub/h"),
            ("DELETE", f"{d}/sub"),
            ("CREATE", f"{d}/l"),
        ]
        events = agent.wait_for(lambda ev: len(ev) >= len(expected))
        events = agent.settle()
        self.assertEqual(brief(events), expected)
        for e in events:
            self.assertEqual((e["tgid"], e["pid"], e["comm"]), (pid, pid, "pn_workload"))
            self.assertEqual(e["cgroup_id"], os.stat(self.cg.path).st_ino)
            self.assertEqual(e["node"], "node-e2e")
        dirs = {e["path"] for e in events if e["is_dir"]}
        self.assertEqual(dirs, {f"{d}/sub"})
        moves = [e for e in events if e["event"].startswith("MOVED_")]
        self.assertEqual(moves[0]["cookie"], moves[1]["cookie"])
        self.assertEqual(moves[2]["cookie"], moves[3]["cookie"])
        self.assertNotEqual(moves[0]["cookie"], moves[2]["cookie"])
        self.assertEqual(moves[1]["old_path"], f"{d}/f")
        self.assertEqual((moves[3]["dir"], moves[3]["file"]), (f"{d}/sub", "h"))

        code, _ = agent.stop()
        self.assertEqual(code, 0)
        c = agent.counters()
        # 20 records: an open record carries CREATE/MODIFY+OPEN, a rename both names
        self.assertGreaterEqual(c["emitted"], 20)
        self.assertEqual(c["records"], c["emitted"])  # nothing lost between kernel and daemon
        self.assertGreater(c["seen"], 0)
        self.assertGreater(c["filtered"], 0)  # every other process on the node
        self.assertGreaterEqual(c["coalesced"], 2)  # write3: two folded MODIFY
        self.assertEqual(c["dropped"], 0)

    def test_deep_mkdir_then_file_is_seen(self):
        """mkdir -p of a deep tree, then at once a file in the deepest directory."""
        d = self.d
        agent = self.start("--recursive", "--events", "create")
        deep = f"{d}/a/b/c/d/e/f/g/h"
        self.workload(f"mkdirp:{deep}", f"create:{deep}/file")
        parts = ["a", "b", "c", "d", "e", "f", "g", "h"]
        expected = [("CREATE", d + "/" + "/".join(parts[:i + 1])) for i in range(len(parts))]
        expected.append(("CREATE", f"{deep}/file"))
        agent.wait_for(lambda ev: len(ev) >= len(expected))
        self.assertEqual(brief(agent.settle()), expected)

    def test_deep_paths_whole(self):
        """A 60-level tree and a path of 4,000 bytes come out whole, never cut
        (kernels with bpf_loop walk up to PATH_MAX)."""
        d = self.d
        agent = self.start("--recursive", "--events", "create")
        deep = d + "".join(f"/level-{i:02d}" for i in range(60))
        # 4,000 bytes: long names under the watched directory, then one file
        long = d
        while len(long) < 4000 - 250 - 5:
            long += "/" + "n" * 240
        long_file = long + "/" + "f" * (4000 - len(long) - 1)
        self.assertEqual(len(long_file), 4000)
        self.workload(f"mkdirp:{deep}", f"create:{deep}/leaf", f"mkdirp:{long}",
                      f"create:{long_file}")
        dirs_deep = [deep[:deep.index(f"/level-{i:02d}") + 9] for i in range(60)]
        parts = long[len(d) + 1:].split("/")
        dirs_long = [d + "/" + "/".join(parts[:i + 1]) for i in range(len(parts))]
        expected = ([("CREATE", p) for p in dirs_deep] + [("CREATE", f"{deep}/leaf")]
                    + [("CREATE", p) for p in dirs_long] + [("CREATE", long_file)])
        if agent.path_walk() == "bounded":
            return self._deep_paths_bounded(agent, expected)
        events = agent.wait_for(lambda ev: len(ev) >= len(expected), timeout=20)
        events = agent.settle()
        self.assertEqual(brief(events), expected)
        self.assertFalse(any(e["truncated"] for e in events))
        code, _ = agent.stop()
        self.assertEqual(code, 0)
        self.assertEqual(agent.counters()["truncated"], 0)

    def _deep_paths_bounded(self, agent, expected):
        """Without bpf_loop the kernel walks a fixed number of directories up:
        a deeper path comes out as its tail, flagged truncated, which the
        recursive watch still gets (docs/events.md, "Paths"). Every event is
        reported, in order: the shallow ones whole, the deeper ones as a tail
        of whole names of their path."""
        events = agent.wait_for(lambda ev: len(ev) >= len(expected), timeout=20)
        events = agent.settle()
        self.assertEqual(len(events), len(expected))
        cut = 0
        for e, (event, path) in zip(events, expected):
            self.assertEqual(e["event"], event)
            if not e["truncated"]:
                self.assertEqual(e["path"], path)
                continue
            cut += 1
            self.assertTrue(path.endswith(e["path"]) and e["path"].startswith("/"), e["path"])
        depth = lambda p: p.count("/")
        shallow = max(depth(e["path"]) for e in events if not e["truncated"])
        self.assertGreaterEqual(shallow, 20, "the bounded walk stops far too early")
        self.assertGreater(cut, 0)
        code, _ = agent.stop()
        self.assertEqual(code, 0)
        self.assertEqual(agent.counters()["truncated"], cut)

    def test_long_escaped_lines_whole(self):
        """A 3.7 KB chain of control-byte names: each JSON line is some 45 KB
        (\\u00XX per byte, the path twice), longer than any fixed buffer, and
        still arrives whole; the counters reconcile."""
        d = self.d
        agent = self.start("--recursive", "--events", "create,modify")
        names = ["".join(chr(1 + (i + k) % 31) for k in range(250)) for i in range(14)]
        dirs = [d + "/" + "/".join(names[:i + 1]) for i in range(len(names))]
        f = dirs[-1] + "/" + "\x1b[2J\n\x7f-f"
        self.assertGreater(len(f), 3500)
        self.workload(f"mkdirp:{dirs[-1]}", f"create:{f}", f"write:{f}:edit")
        expected = ([("CREATE", p) for p in dirs] + [("CREATE", f), ("MODIFY", f)])
        events = agent.wait_for(lambda ev: len(ev) >= len(expected), timeout=20)
        events = agent.settle()
        self.assertEqual(brief(events), expected)
        self.assertEqual((events[-1]["dir"], events[-1]["file"]),
                         (dirs[-1], f[len(dirs[-1]) + 1:]))
        self.assertFalse(any(e["truncated"] for e in events))
        m = agent.metrics()
        matched = sum(v for k, v in m.items() if k.startswith("panoptes_events_total{"))
        c = agent.counters()
        # matched = written + dropped: every event the watch counted is on stdout
        self.assertEqual((matched, c["written"], c["events_dropped"]),
                         (len(expected), len(expected), 0))
        code, _ = agent.stop()
        self.assertEqual(code, 0)

    def test_relative_paths_and_dirfds(self):
        d = self.d
        os.mkdir(f"{d}/w")
        agent = self.start("--recursive", "--events", "create,delete")
        self.workload(f"cd:{d}/w", "create:rel", "mkdir:../up", "create:../up/x",
                      f"atcreate:{d}/w:viaat", f"atunlink:{d}/w:viaat", "unlink:./rel")
        expected = [
            ("CREATE", f"{d}/w/rel"), ("CREATE", f"{d}/up"), ("CREATE", f"{d}/up/x"),
            ("CREATE", f"{d}/w/viaat"), ("DELETE", f"{d}/w/viaat"), ("DELETE", f"{d}/w/rel"),
        ]
        agent.wait_for(lambda ev: len(ev) >= len(expected))
        self.assertEqual(brief(agent.settle()), expected)

    def test_close_on_exit_without_close(self):
        d = self.d
        agent = self.start("--events", "closewrite,modify")
        self.workload(f"openexit:{d}/e")
        expected = [("MODIFY", f"{d}/e"), ("CLOSE_WRITE", f"{d}/e")]
        agent.wait_for(lambda ev: len(ev) >= len(expected))
        self.assertEqual(brief(agent.settle()), expected)

    def test_other_cgroup_produces_nothing(self):
        d = self.d
        agent = self.start("--recursive")
        other_pid, _ = self.workload(f"create:{d}/same", f"write:{d}/same:x",
                                     f"unlink:{d}/same", cg=self.other)
        pid, _ = self.workload(f"create:{d}/mine")
        agent.wait_for(lambda ev: len(ev) >= 3)
        events = agent.settle()
        self.assertEqual(brief(events), [("CREATE", f"{d}/mine"), ("OPEN", f"{d}/mine"),
                                         ("CLOSE_WRITE", f"{d}/mine")])
        self.assertNotIn(other_pid, {e["tgid"] for e in events})

    def test_container_cgroup_gone_before_its_events_are_read(self):
        """The kernel's cgroup notes (bpf/cgroup.bpf.c): a container's cgroup made, written
        from and removed while the agent reads nothing (SIGSTOP) still names its container
        when its event is read, from the path the kernel told as the cgroup was made; the
        id alone no longer leads to a path then."""
        agent = self.start("--events", "create")
        programs = [l for l in agent.stderr_lines if "ready:" in l]
        self.assertIn("pn_cgroup_mkdir,pn_cgroup_rmdir", programs[0] if programs else "",
                      agent.stderr_lines)
        cid = "c0ffee" * 10 + "0a1b"
        child = Cgroup.__new__(Cgroup)
        child.path = os.path.join(self.cg.path, f"docker-{cid}.scope")
        os.kill(agent.proc.pid, signal.SIGSTOP)
        try:
            os.mkdir(child.path)
            ino = os.stat(child.path).st_ino
            child.run([WORKLOAD, f"create:{self.d}/born"])
            child.close()
            self.assertFalse(os.path.exists(child.path))
        finally:
            os.kill(agent.proc.pid, signal.SIGCONT)
        events = agent.wait_for(lambda ev: len(ev) >= 1, timeout=30)
        self.assertEqual([(e["event"], e["path"], e["cgroup_id"], e["container_id"])
                          for e in agent.settle()],
                         [("CREATE", f"{self.d}/born", ino, cid)])
        self.assertEqual(agent.metrics()["panoptes_kernel_cgroup_notes_dropped_total"], 0)

    def test_cgroup_notes_refused_by_the_verifier(self):
        """A kernel whose verifier refuses the cgroup note programs (a real refusal, made
        by PANOPTES_TEST_FAULTS) still gets the agent on the same backend, loaded without
        them, said in one warning; a container's events still name it, from its live
        cgroup."""
        self.agent = agent = Agent(["--watch-cgroup", self.cg.path, "--path", self.d,
                                    "--events", "create"],
                                   env={"PANOPTES_TEST_FAULTS": "cgroup-notes-refused"})
        warned = [l for l in agent.stderr_lines if "refused the cgroup note programs" in l]
        self.assertEqual(len(warned), 1, agent.stderr_lines)
        ready = [l for l in agent.stderr_lines if "ready:" in l]
        self.assertEqual(len(ready), 1, agent.stderr_lines)
        self.assertNotIn("pn_cgroup_mkdir", ready[0])
        if BACKEND:
            self.assertEqual(agent.backend, BACKEND)
        cid = "feed" * 16
        child = Cgroup.__new__(Cgroup)
        child.path = os.path.join(self.cg.path, f"docker-{cid}.scope")
        os.mkdir(child.path)
        try:
            child.run([WORKLOAD, f"create:{self.d}/named"])
            agent.wait_for(lambda ev: len(ev) >= 1)
            self.assertEqual([(e["event"], e["path"], e["container_id"])
                              for e in agent.settle()],
                             [("CREATE", f"{self.d}/named", cid)])
        finally:
            child.close()

    def test_parent_cgroup_covers_child_cgroups(self):
        """A pod-level watch covers its containers' cgroups, including one made
        after the agent started; a second watch on a child adds its own events
        (the kernel gate holds the union of both), whichever of the two the
        agent installs first (the registry links a new cgroup to its watched
        ancestors and to its watched descendants)."""
        for order, child_first in (("pod-first", False), ("ctr-first", True)):
            with self.subTest(order):
                self.parent_covers_children(order, child_first)

    def parent_covers_children(self, tag, child_first):
        d = self.d
        early = Cgroup.__new__(Cgroup)
        early.path = os.path.join(self.cg.path, f"ctr-early-{tag}")
        late = Cgroup.__new__(Cgroup)
        late.path = os.path.join(self.cg.path, f"ctr-late-{tag}")
        os.mkdir(early.path)
        pod = f"""name: pod
targets: {{cgroups: [{self.cg.path}]}}
subjects: [{{paths: [{d}], events: [create]}}]
"""
        ctr = f"""name: ctr
targets: {{cgroups: [{early.path}]}}
subjects: [{{paths: [{d}], events: [delete]}}]
"""
        policy = os.path.join(d, "..", os.path.basename(d) + ".yaml")
        with open(policy, "w") as f:
            f.write("---\n".join([ctr, pod] if child_first else [pod, ctr]))
        try:
            self.agent = Agent(["--policy", policy])
            os.mkdir(late.path)
            early_pid, _ = early.run([WORKLOAD, f"create:{d}/e", f"unlink:{d}/e"])
            late_pid, _ = late.run([WORKLOAD, f"create:{d}/l", f"unlink:{d}/l"])
            self.agent.wait_for(lambda ev: len(ev) >= 3)
            events = self.agent.settle()
            self.assertEqual(brief(events, ("event", "path", "watch", "tgid")),
                             [("CREATE", f"{d}/e", "pod", early_pid),
                              ("DELETE", f"{d}/e", "ctr", early_pid),
                              ("CREATE", f"{d}/l", "pod", late_pid)])
            self.assertEqual(events[2]["cgroup_id"], os.stat(late.path).st_ino)
        finally:
            self.agent.stop()
            self.agent = None
            early.close()
            late.close()
            os.unlink(policy)

    def test_non_recursive_children_not_grandchildren(self):
        d = self.d
        os.mkdir(f"{d}/sub")
        agent = self.start("--events", "create")
        self.workload(f"create:{d}/child", f"create:{d}/sub/grandchild", f"create:{d}/child2")
        agent.wait_for(lambda ev: len(ev) >= 2)
        events = agent.settle()
        self.assertEqual(brief(events, ("event", "path", "dir", "file")),
                         [("CREATE", f"{d}/child", d, "child"),
                          ("CREATE", f"{d}/child2", d, "child2")])

    def test_event_gate_and_ignore(self):
        """Unwanted event types are dropped in the kernel (gated), ignored names in userspace."""
        d = self.d
        os.mkdir(f"{d}/.git")
        agent = self.start("--recursive", "--events", "delete", "--ignore", ".git")
        self.workload(f"create:{d}/a", f"write:{d}/a:x", f"create:{d}/.git/idx",
                      f"unlink:{d}/.git/idx", f"unlink:{d}/a")
        agent.wait_for(lambda ev: len(ev) >= 1)
        self.assertEqual(brief(agent.settle()), [("DELETE", f"{d}/a")])
        agent.stop()
        c = agent.counters()
        self.assertGreater(c["gated"], 0)
        self.assertEqual(c["emitted"], 2)  # both deletes reach userspace; .git is ignored there

    def test_policy_file_subjects_tags_follow_move(self):
        d = self.d
        os.mkdir(f"{d}/conf")
        os.mkdir(f"{d}/logs")
        policy = f"""
name: pol
pod: pod-a
targets:
  cgroups: [{self.cg.path}]
subjects:
  - paths: [{d}/conf]
    events: [create, moveself]
    followMove: true
    tags: {{kind: conf}}
  - paths: [{d}/logs]
    events: closewrite
    tags: {{kind: logs}}
logFormat: "{{event}} {{path}}{{sep}}{{file}} {{tags}} {{pod}}"
"""
        path = os.path.join(self.tmp.path, "policy.yaml")
        with open(path, "w") as f:
            f.write(policy)
        self.agent = Agent(["--policy", path], output="text")
        self.workload(f"create:{d}/conf/a", f"create:{d}/logs/l", f"write:{d}/logs/l:x",
                      f"create:{d}/other",
                      f"rename:{d}/conf:{d}/conf2", f"create:{d}/conf2/b")
        expected = [f"CREATE {d}/conf/a kind=conf pod-a",
                    f"CLOSE_WRITE {d}/logs/l kind=logs pod-a",
                    f"CLOSE_WRITE {d}/logs/l kind=logs pod-a",
                    f"MOVE_SELF {d}/conf kind=conf pod-a",
                    f"CREATE {d}/conf2/b kind=conf pod-a"]
        self.agent.wait_for(lambda ev: len(ev) >= len(expected))
        self.assertEqual(self.agent.settle(), expected)

    def test_text_output_default_format(self):
        d = self.d
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", d, "--events", "create",
                            "--pod", "web-1", "--tag", "team=web", "--tag", "app=x"],
                           output="text")
        self.workload(f"create:{d}/n")
        lines = self.agent.wait_for(lambda ev: len(ev) >= 1)
        self.assertEqual(lines, [f"CREATE file '{d}/n' (web-1:node-e2e) app=x,team=web"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
