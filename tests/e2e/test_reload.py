#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""SIGHUP reloads the --policy files with no gap (issues 19 and 13).

- A writer creates files in a watched directory without pause while the
  policy is reloaded 20 times, alternating two versions that both cover the
  directory with other tags (and one with a second watch): every file is
  reported exactly once by each watch, the tags switch once per reload in
  the order of the writes, an unchanged watch keeps its counter, and each
  reload logs what it added, replaced, removed and kept.
- A file that does not parse, a watch whose target does not exist and a name
  an API watch holds each keep the old policy (events go on flowing to it),
  log one line naming the file (and line or watch) and are counted in
  /metrics and GetStatus; then a good file removes a watch (it stops
  reporting) and adds one (it starts). The API's watch is never touched.
"""
import os
import re
import signal
import subprocess
import unittest

from pn_e2e import enter_cgroup
from pn_grpc import GrpcCase


class ReloadCase(GrpcCase):
    cgroup_name = "reload"

    def setUp(self):
        super().setUp()
        self.d = os.path.join(self.tmp.path, "w")  # the watched directory
        self.other = os.path.join(self.tmp.path, "o")  # watched by the second watch only
        os.mkdir(self.d)
        os.mkdir(self.other)
        self.policy = os.path.join(self.tmp.path, "policy.yaml")

    def write_policy(self, text):
        # replaced whole, as a ConfigMap update does (a rename): never read half-written
        tmp = self.policy + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.policy)

    def watch(self, name, path, tags, cgroup=None):
        return (f"name: {name}\n"
                f"targets: {{cgroups: [{cgroup or self.cg.path}]}}\n"
                f"subjects: [{{paths: [{path}], events: [create], tags: {tags}}}]\n")

    def reload(self, log_pred):
        """SIGHUP; waits for the reload's one log line and checks it with log_pred."""
        def reload_lines():
            return [l for l in self.agent.stderr_lines if "reload" in l]

        before = len(reload_lines())
        self.agent.signal(signal.SIGHUP)
        self.agent.wait_log(lambda _: len(reload_lines()) > before)
        lines = reload_lines()
        self.assertEqual(len(lines), before + 1, "one reload line per SIGHUP")
        self.assertTrue(log_pred(lines[before]), lines[before])

    def reloads(self):
        m = self.agent.metrics()
        st = self.api.status()
        self.assertEqual((st.policy_reloads, st.policy_reload_failures),
                         (m["panoptes_policy_reloads_total"],
                          m["panoptes_policy_reload_failures_total"]))
        return st.policy_reloads, st.policy_reload_failures

    def creates(self, watch):
        return [e for e in self.agent.lines if e["event"] == "CREATE" and e["watch"] == watch]

    def test_continuous_writes_across_twenty_reloads(self):
        d = self.d
        steady = self.watch("steady", d, "{v: steady}")
        version = {
            "a": self.watch("w", d, "{v: a}") + "---\n" + steady,
            "b": (self.watch("w", d, "{v: b}") + "---\n" + steady + "---\n"
                  + self.watch("extra", self.other, "{v: extra}")),
        }
        self.write_policy(version["a"])
        self.start_agent("--policy", self.policy, output="json")
        stop = os.path.join(self.tmp.path, "stop")
        # one file every millisecond or so, until told to stop; prints how many
        writer = subprocess.Popen(
            ["/bin/sh", "-c", f'i=0; while [ ! -e {stop} ]; do : > {d}/f$i; i=$((i+1)); '
             'sleep 0.001; done; echo $i'],
            preexec_fn=enter_cgroup(self.cg.path), stdout=subprocess.PIPE)
        try:
            self.agent.wait_for(lambda ev: len(ev) >= 10)
            for i in range(20):
                v = "b" if i % 2 == 0 else "a"
                self.write_policy(version[v])
                want = ("1 added, 1 replaced, 0 removed, 1 unchanged" if v == "b" else
                        "0 added, 1 replaced, 1 removed, 1 unchanged")
                self.reload(lambda l: l == f"panoptesd: reloaded 1 policy files: {want}")
                # the writer reaches the new version before the next reload
                n = len(self.agent.lines)
                self.agent.wait_for(lambda ev: any(
                    e["watch"] == "w" and e["tags"]["v"] == v for e in ev[n:]))
        finally:
            open(stop, "w").close()
            out, _ = writer.communicate(timeout=60)
        written = int(out)
        self.assertGreater(written, 20)
        self.agent.wait_for(lambda ev: len(self.creates("w")) >= written
                            and len(self.creates("steady")) >= written, timeout=30)
        self.agent.settle()

        names = [f"{d}/f{i}" for i in range(written)]
        for watch in ("w", "steady"):
            self.assertEqual(sorted(e["path"] for e in self.creates(watch)), sorted(names),
                             f"watch {watch}: every file exactly once")
        self.assertEqual(self.creates("extra"), [])
        self.assertEqual({e["tags"]["v"] for e in self.creates("steady")}, {"steady"})
        # in the order of the writes, the tags change once per reload: a, b, a, ..., a
        by_index = sorted(self.creates("w"), key=lambda e: int(e["path"].rsplit("f", 1)[1]))
        runs = [e["tags"]["v"] for i, e in enumerate(by_index)
                if i == 0 or e["tags"]["v"] != by_index[i - 1]["tags"]["v"]]
        self.assertEqual(runs, ["a", "b"] * 10 + ["a"])
        c = self.agent.counters()
        self.assertEqual((c["dropped"], c["events_dropped"]), (0, 0))
        # unchanged through 20 reloads: the same watch, its counter never reset
        m = self.agent.metrics()
        self.assertEqual(m['panoptes_events_total{watch="steady",event="CREATE"}'], written)
        self.assertEqual(self.reloads(), (20, 0))

    def test_bad_files_keep_the_old_policy(self):
        d, p = self.d, self.policy

        def touch(name):
            self.cg.run(["/bin/sh", "-c", f": > {d}/{name}"])
            self.agent.wait_for(lambda ev: any(e["path"] == f"{d}/{name}" and e["watch"] == "api"
                                               for e in ev))
            self.agent.settle(quiet=0.3)
            return sorted((e["watch"], e["tags"].get("v", e["tags"].get("k")))
                          for e in self.agent.lines if e["path"] == f"{d}/{name}")

        self.write_policy(self.watch("old", d, "{v: old}"))
        api = self.start_agent("--policy", p, output="json")
        N = api.N
        api.n_create(N.CreateWatchRequest(watch=N.Watch(
            name="api", targets=N.Targets(cgroups=[self.cg.path]),
            subjects=[N.Subject(paths=[d], tags={"k": "api"},
                                events=[N.EventType.Value("EVENT_TYPE_CREATE")])])), timeout=10)
        self.assertEqual(touch("f0"), [("api", "api"), ("old", "old")])

        # not YAML the parser takes: FILE:LINE:COL, and the old policy goes on
        self.write_policy(self.watch("new", d, "{v: new}") + "recursve: true\n")
        self.reload(lambda l: l == f"panoptesd: error: reload: {p}:4:1: unknown key "
                    '"recursve"; valid keys: name pod logFormat targets subjects: '
                    "the old policy is kept")
        self.assertEqual(self.reloads(), (0, 1))
        self.assertEqual(touch("f1"), [("api", "api"), ("old", "old")])

        # the second of two watches cannot be installed: the first is not either
        nope = os.path.join(os.path.dirname(self.cg.path), "reload-nope")
        self.write_policy(self.watch("new", d, "{v: new}") + "---\n"
                          + self.watch("bad", d, "{v: bad}", cgroup=nope))
        self.reload(lambda l: re.fullmatch(
            rf"panoptesd: error: reload: {re.escape(p)}: watch bad: cgroup {re.escape(nope)}: not "
            r"found \(looked for .*\): the old policy is kept", l))
        self.assertEqual(self.reloads(), (0, 2))
        self.assertEqual(touch("f2"), [("api", "api"), ("old", "old")])

        # the API's watch is not the file's to take
        self.write_policy(self.watch("api", d, "{v: mine}"))
        self.reload(lambda l: l == f"panoptesd: error: reload: {p}: watch api: the name is taken by "
                    "a watch installed by api: the old policy is kept")
        self.assertEqual(self.reloads(), (0, 3))
        self.assertEqual(touch("f3"), [("api", "api"), ("old", "old")])

        # a good file: old is gone, new reports, the API's watch is as it was
        self.write_policy(self.watch("new", d, "{v: new}"))
        self.reload(lambda l: l == "panoptesd: reloaded 1 policy files: 1 added, 0 replaced, "
                    "1 removed, 0 unchanged")
        self.assertEqual(self.reloads(), (1, 3))
        self.assertEqual(touch("f4"), [("api", "api"), ("new", "new")])
        watches = {w.watch.name: w.origin for w in api.list_watches()}
        self.assertEqual(watches, {"api": "api", "new": p})

        # the same file again: nothing changes, the count says so
        self.reload(lambda l: l == "panoptesd: reloaded 1 policy files: 0 added, 0 replaced, "
                    "0 removed, 1 unchanged")
        self.assertEqual(touch("f5"), [("api", "api"), ("new", "new")])
        self.assertEqual(self.reloads(), (2, 3))


if __name__ == "__main__":
    unittest.main()
