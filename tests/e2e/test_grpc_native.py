#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""panoptes.v1.Agent through Debian's python3-grpcio: typed watches with their
error codes, event streams whose server-side filters give each client exactly
its subset with full records, and the agent's status."""
import os
import subprocess
import time
import unittest

import grpc

from pn_e2e import PANOPTESD, WORKLOAD, cgroup2_root
from pn_grpc import NODE, GrpcCase, unused_pid, with_submessage
from runc_bundle import RuncContainer

FMT_A = "{event} {path}{sep}{file} {pod} {node} {tags} {pid} {comm}"


class NativeCase(GrpcCase):
    cgroup_name = "grpc-native"

    def setUp(self):
        super().setUp()
        self.d = self.tmp.path
        for sub in ("a", "b", "bb"):
            os.mkdir(os.path.join(self.d, sub))

    def start_agent(self, *args):
        api = super().start_agent(*args)
        self.N = api.N
        return api

    def stream(self, **filters):
        return self.reader(self.api.stream_events(self.N.StreamEventsRequest(**filters)))

    def ev(self, name):
        return self.N.EventType.Value("EVENT_TYPE_" + name)

    def watch_a(self):
        N, d = self.N, self.d
        return N.Watch(name="w-a", targets=N.Targets(cgroups=[self.cg.path]), pod="pod-a",
                       log_format=FMT_A, subjects=[N.Subject(
                           paths=[f"{d}/a"], recursive=True, tags={"k": "a"},
                           events=[self.ev(e) for e in ("CREATE", "MODIFY", "CLOSE_WRITE",
                                                        "DELETE")])])

    def watch_b(self):
        N, d = self.N, self.d
        rel = os.path.relpath(self.cg.path, cgroup2_root())  # relative to the cgroup2 root
        return N.Watch(name="w-b", targets=N.Targets(cgroups=[rel]), pod="pod-b",
                       subjects=[N.Subject(paths=[f"{d}/b", f"{d}/bb"], recursive=True,
                                           tags={"k": "b"},
                                           events=[self.ev(e) for e in ("CREATE", "DELETE",
                                                                        "MODIFY")])])

    def create(self, w):
        return self.api.n_create(self.N.CreateWatchRequest(watch=w), timeout=10)

    def assertStreamError(self, req, code, *fragments):
        call = self.api.stream_events(req, timeout=10)
        try:
            first = next(call)
        except grpc.RpcError as e:
            self.assertEqual(e.code(), code, f"{req!r}: got {e.code()} {e.details()!r}")
            for f in fragments:
                self.assertIn(f, e.details() or "")
            return
        self.fail(f"{req!r}: stream accepted, first message {first!r}")

    def names(self):
        return sorted(i.watch.name for i in self.api.list_watches())


class NativeWatches(NativeCase):
    def test_create_update_delete_list_and_errors(self):
        api = self.start_agent()
        N, d = self.N, self.d
        INVALID, NOT_FOUND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND

        info = self.create(self.watch_a())
        self.assertEqual(info.watch.name, "w-a")
        self.assertEqual(info.origin, "api")
        self.assertEqual(info.watch.pod, "pod-a")
        self.assertEqual(info.watch.log_format, FMT_A)
        self.assertEqual(list(info.watch.subjects[0].paths), [f"{d}/a"])
        self.assertEqual(sorted(info.watch.subjects[0].events),
                         sorted(self.ev(e) for e in ("CREATE", "MODIFY", "CLOSE_WRITE",
                                                     "DELETE")))
        self.assertTrue(info.watch.subjects[0].recursive)
        self.assertEqual(dict(info.watch.subjects[0].tags), {"k": "a"})
        self.assertEqual(len(info.cgroups), 1, info.cgroups)
        self.assertEqual(info.cgroups[0].id, os.stat(self.cg.path).st_ino)
        self.assertTrue(info.cgroups[0].path.endswith(
            os.path.relpath(self.cg.path, cgroup2_root())), info.cgroups[0].path)
        self.assertEqual(info.cgroups[0].container, "")
        self.assertEqual(dict(info.event_counts), {})

        self.assertRpcError(api.n_create, N.CreateWatchRequest(watch=self.watch_a()),
                            grpc.StatusCode.ALREADY_EXISTS, "w-a")
        info_b = self.create(self.watch_b())
        self.assertEqual(info_b.cgroups[0].id, os.stat(self.cg.path).st_ino)
        self.assertEqual(self.names(), ["w-a", "w-b"])
        self.assertEqual({i.watch.name: i.origin for i in api.list_watches()},
                         {"w-a": "api", "w-b": "api"})

        absent = self.watch_a()
        absent.name = "w-absent"
        self.assertRpcError(api.n_update, N.UpdateWatchRequest(watch=absent), NOT_FOUND,
                            "w-absent")
        self.assertRpcError(api.n_delete, N.DeleteWatchRequest(name="w-absent"), NOT_FOUND,
                            "w-absent")

        def bad(mutate):
            w = self.watch_a()
            w.name = "w-new"
            mutate(w)
            return w

        missing = unused_pid()
        cases = [
            ("empty name", lambda w: setattr(w, "name", ""), INVALID, ["watch.name"]),
            ("name with a space", lambda w: setattr(w, "name", "a b"), INVALID, ["watch.name"]),
            ("no targets", lambda w: w.ClearField("targets"), INVALID, ["watch.targets"]),
            ("bad pid", lambda w: w.targets.pids.append(-1), INVALID,
             ["watch.targets.pids[0]", "-1"]),
            ("no subjects", lambda w: w.ClearField("subjects"), INVALID, ["watch.subjects"]),
            ("relative path", lambda w: w.subjects[0].paths.append("rel/x"), INVALID,
             ["watch.subjects[0].paths[1]", "rel/x"]),
            ("no events", lambda w: w.subjects[0].ClearField("events"), INVALID,
             ["watch.subjects[0].events"]),
            ("unspecified event", lambda w: w.subjects[0].events.append(0), INVALID,
             ["watch.subjects[0].events[4]"]),
            ("unknown event value", lambda w: w.subjects[0].events.append(99), INVALID,
             ["watch.subjects[0].events[4]", "99"]),
            ("negative max_depth", lambda w: setattr(w.subjects[0], "max_depth", -1), INVALID,
             ["watch.subjects[0].maxDepth", "-1"]),
            ("bad log_format", lambda w: setattr(w, "log_format", "{event} {nope}"), INVALID,
             ["watch.log_format", "nope"]),
            ("unknown pid", lambda w: w.targets.pids.append(missing), NOT_FOUND,
             [str(missing)]),
            ("unknown cgroup", lambda w: w.targets.cgroups.append("/no-such-cgroup-e2e"),
             NOT_FOUND, ["no-such-cgroup-e2e"]),
            ("unknown container",
             lambda w: w.targets.containers.append("runc://no-such-container-e2e"), NOT_FOUND,
             ["no-such-container-e2e"]),
            ("unknown runtime", lambda w: w.targets.containers.append("podman://x"), INVALID,
             ["watch.targets: unknown container runtime \"podman\""]),
            ("empty namespace pattern", lambda w: w.targets.namespaces.extend(["prod", ""]),
             INVALID, ["watch.targets.namespaces[1]: must not be empty"]),
            ("empty pod_selector", lambda w: w.targets.pod_selector.SetInParent(), INVALID,
             ["watch.targets.pod_selector: an empty selector would select every pod"]),
            ("match_labels without a key",
             lambda w: w.targets.pod_selector.match_labels.update({"": "web"}), INVALID,
             ["watch.targets.pod_selector.match_labels: a key must not be empty"]),
            ("unknown operator", lambda w: w.targets.pod_selector.match_expressions.add(
                key="app", operator="Equals", values=["web"]), INVALID,
             ['watch.targets.pod_selector.match_expressions[0].operator: "Equals" is not one '
              'of In, NotIn, Exists, DoesNotExist']),
            ("In without values", lambda w: w.targets.pod_selector.match_expressions.add(
                key="app", operator="In"), INVALID,
             ["watch.targets.pod_selector.match_expressions[0].values: In and NotIn need"]),
            ("Exists with values", lambda w: w.targets.pod_selector.match_expressions.add(
                key="app", operator="Exists", values=["x"]), INVALID,
             ["watch.targets.pod_selector.match_expressions[0].values: Exists and "
              "DoesNotExist take no values"]),
        ]
        before = api.list_watches()
        for what, mutate, code, fragments in cases:
            with self.subTest(what):
                self.assertRpcError(api.n_create, N.CreateWatchRequest(watch=bad(mutate)), code,
                                    *fragments)
                self.assertEqual(api.list_watches(), before)
        # an invalid update leaves the watch as it was
        w = self.watch_a()
        w.subjects[0].paths[0] = "relative"
        self.assertRpcError(api.n_update, N.UpdateWatchRequest(watch=w), INVALID,
                            "watch.subjects[0].paths[0]")
        self.assertEqual(api.list_watches(), before)

        # a selector beside the cgroup: listed back as it was given, matchLabels as In
        sel = self.watch_a()
        sel.name = "w-sel"
        sel.targets.namespaces.append("prod-*")
        sel.targets.container_names.append("app")
        sel.targets.images.append("*/nginx:*")
        sel.targets.pod_selector.match_labels["app"] = "web"
        sel.targets.pod_selector.match_expressions.add(key="tier", operator="NotIn",
                                                       values=["a", "b"])
        sel.targets.pod_selector.match_expressions.add(key="canary", operator="DoesNotExist")
        got = self.create(sel).watch.targets
        self.assertEqual((list(got.namespaces), list(got.container_names), list(got.images)),
                         (["prod-*"], ["app"], ["*/nginx:*"]))
        self.assertEqual(dict(got.pod_selector.match_labels), {})
        self.assertEqual([(r.key, r.operator, list(r.values))
                          for r in got.pod_selector.match_expressions],
                         [("app", "In", ["web"]), ("tier", "NotIn", ["a", "b"]),
                          ("canary", "DoesNotExist", [])])
        listed = {i.watch.name: i.watch.targets for i in api.list_watches()}
        self.assertEqual(listed["w-sel"], got)
        api.n_delete(N.DeleteWatchRequest(name="w-sel"), timeout=10)
        self.assertEqual(api.list_watches(), before)

        # update in place: same name, new events and pod
        w = self.watch_a()
        w.pod = "pod-a2"
        del w.subjects[0].events[:]
        w.subjects[0].events.append(self.ev("MOVE"))  # MOVE expands to both halves
        info = api.n_update(N.UpdateWatchRequest(watch=w), timeout=10)
        self.assertEqual(info.watch.pod, "pod-a2")
        self.assertEqual(sorted(info.watch.subjects[0].events),
                         [self.ev("MOVED_FROM"), self.ev("MOVED_TO")])
        self.assertEqual(self.names(), ["w-a", "w-b"])
        listed = {i.watch.name: i for i in api.list_watches()}
        self.assertEqual(listed["w-a"].watch.pod, "pod-a2")

        self.assertEqual(api.n_delete(N.DeleteWatchRequest(name="w-b"), timeout=10),
                         N.DeleteWatchResponse())
        self.assertEqual(self.names(), ["w-a"])
        self.assertRpcError(api.n_delete, N.DeleteWatchRequest(name="w-b"), NOT_FOUND, "w-b")
        self.assertEqual(api.status().watches, 1)

        # invalid stream filters
        self.assertStreamError(N.StreamEventsRequest(path_prefix="relative/dir"), INVALID,
                               "relative/dir")
        self.assertStreamError(N.StreamEventsRequest(events=[99]), INVALID, "99")
        self.assertEqual(api.status().streams, 0)

    def test_subject_rules(self):
        """maxDepth without recursive and a tag key twice: INVALID_ARGUMENT naming the field,
        on CreateWatch and UpdateWatch, and nothing changes."""
        api = self.start_agent()
        N = self.N
        INVALID = grpc.StatusCode.INVALID_ARGUMENT
        installed = self.create(self.watch_a())

        def shallow(name):
            w = self.watch_a()
            w.name = name
            w.subjects[0].recursive = False
            w.subjects[0].max_depth = 2
            return w

        self.assertRpcError(api.n_create, N.CreateWatchRequest(watch=shallow("w-new")), INVALID,
                            "watch.subjects[0].maxDepth: only meaningful with recursive")
        self.assertRpcError(api.n_update, N.UpdateWatchRequest(watch=shallow("w-a")), INVALID,
                            "watch.subjects[0].maxDepth: only meaningful with recursive")

        # a map key twice on the wire (Python's map cannot hold it; another client's can)
        def tag_twice(req, name):
            w = self.watch_a()
            w.name = name
            subject = N.Subject()
            subject.CopyFrom(w.subjects[0])
            del w.subjects[:]
            twice = subject.SerializeToString() + N.Subject(tags={"k": "z"}).SerializeToString()
            return with_submessage(req, "watch", with_submessage(w, "subjects", twice))

        for path, req, name in (("CreateWatch", N.CreateWatchRequest(), "w-new"),
                                ("UpdateWatch", N.UpdateWatchRequest(), "w-a")):
            call = api.ch.unary_unary("/panoptes.v1.Agent/" + path, request_serializer=None,
                                      response_deserializer=N.WatchInfo.FromString)
            with self.subTest(path):
                self.assertRpcError(call, tag_twice(req, name), INVALID,
                                    'watch.subjects[0].tags: key "k" given twice')
        self.assertEqual([i.watch for i in api.list_watches()], [installed.watch])

        # 0, unlimited, needs no recursive
        ok = shallow("w-0")
        ok.subjects[0].max_depth = 0
        self.assertEqual(self.create(ok).watch.subjects[0].max_depth, 0)


class NativeStreams(NativeCase):
    def test_filtered_streams_full_records_status(self):
        api = self.start_agent()
        N, d = self.N, self.d
        self.create(self.watch_a())
        self.create(self.watch_b())
        s0 = api.status()

        s_all = self.stream()
        s_a = self.stream(watches=["w-a"])
        s_b = self.stream(events=[self.ev("CREATE"), self.ev("DELETE")], path_prefix=f"{d}/b")
        s_close = self.stream(events=[self.ev("CLOSE")])
        s_bw = self.stream(watches=["w-b"], events=[self.ev("MODIFY")])
        s_both = self.stream(watches=["w-a", "w-b"], path_prefix=d)
        s_none = self.stream(watches=["w-absent"])
        api.wait_streams(7)

        t0_wall, t0_mono = time.time_ns(), time.monotonic_ns()
        pid, _ = self.cg.run([WORKLOAD, f"create:{d}/a/f1", f"write:{d}/a/f1:x",
                              f"create:{d}/b/g1", f"write:{d}/b/g1:y", f"create:{d}/bb/h1",
                              f"unlink:{d}/b/g1", f"unlink:{d}/a/f1"])
        t1_wall, t1_mono = time.time_ns(), time.monotonic_ns()

        A = ("w-a", "pod-a", {"k": "a"})
        B = ("w-b", "pod-b", {"k": "b"})
        expected = [("CREATE", f"{d}/a/f1", A), ("CLOSE_WRITE", f"{d}/a/f1", A),
                    ("MODIFY", f"{d}/a/f1", A), ("CLOSE_WRITE", f"{d}/a/f1", A),
                    ("CREATE", f"{d}/b/g1", B), ("MODIFY", f"{d}/b/g1", B),
                    ("CREATE", f"{d}/bb/h1", B), ("DELETE", f"{d}/b/g1", B),
                    ("DELETE", f"{d}/a/f1", A)]
        events = s_all.wait_count(len(expected), timeout=20)
        s_all.settle()
        for r in self.readers:
            r.settle(quiet=0.2)

        def brief(items):
            return [(N.EventType.Name(e.type)[len("EVENT_TYPE_"):], e.path) for e in items]

        self.assertEqual(brief(events), [(t, p) for t, p, _ in expected])
        want = {
            "a": [(t, p) for t, p, w in expected if w is A],
            "b": [(t, p) for t, p, _ in expected if t in ("CREATE", "DELETE")
                  and p.startswith(f"{d}/b/")],
            "close": [(t, p) for t, p, _ in expected if t == "CLOSE_WRITE"],
            "bw": [("MODIFY", f"{d}/b/g1")],
        }
        self.assertEqual(brief(s_a.items), want["a"])
        self.assertEqual(brief(s_b.items), want["b"])
        self.assertEqual(want["b"], [("CREATE", f"{d}/b/g1"), ("DELETE", f"{d}/b/g1")])
        self.assertEqual(brief(s_close.items), want["close"])
        self.assertEqual(brief(s_bw.items), want["bw"])
        self.assertEqual(s_both.items, events)
        self.assertEqual(s_none.items, [])

        # full records
        ino = os.stat(self.cg.path).st_ino
        lines = self.agent.settle()
        self.assertEqual([e.line for e in events], lines)
        for e, (t, path, (watch, pod, tags)) in zip(events, expected):
            with self.subTest(event=(t, path)):
                self.assertEqual(e.type, self.ev(t))
                self.assertEqual(e.path, path)
                self.assertEqual((e.dir, e.file), os.path.split(path))
                self.assertFalse(e.is_dir)
                self.assertFalse(e.truncated)
                self.assertEqual((e.old_path, e.cookie), ("", 0))
                p = e.process
                self.assertEqual((p.pid, p.tgid, p.uid, p.gid, p.comm),
                                 (pid, pid, 0, 0, "pn_workload"))
                self.assertEqual(e.cgroup_id, ino)
                self.assertEqual(e.container, "")
                self.assertEqual((e.watch, e.pod, e.node), (watch, pod, NODE))
                self.assertEqual(dict(e.tags), tags)
                self.assertTrue(t0_mono <= e.monotonic_ns <= t1_mono,
                                (t0_mono, e.monotonic_ns, t1_mono))
                self.assertTrue(t0_wall - 10**9 <= e.time_unix_nano <= t1_wall + 10**9,
                                (t0_wall, e.time_unix_nano, t1_wall))
                if watch == "w-a":
                    line = f"{t} {path} {pod} {NODE} k=a {pid} pn_workload"
                else:
                    line = f"{t} file '{path}' ({pod}:{NODE}) k=b"
                self.assertEqual(e.line, line)

        # counts and status
        counts = {i.watch.name: dict(i.event_counts) for i in api.list_watches()}
        self.assertEqual(counts, {"w-a": {"CREATE": 1, "CLOSE_WRITE": 2, "MODIFY": 1,
                                          "DELETE": 1},
                                  "w-b": {"CREATE": 2, "MODIFY": 1, "DELETE": 1}})
        s1 = api.status()
        version = subprocess.run([PANOPTESD, "--version"], capture_output=True,
                                 text=True).stdout.split()[1]
        self.assertEqual(s1.version, version)
        self.assertEqual(s1.node, NODE)
        self.assertEqual(s1.backend, self.agent.backend)
        self.assertEqual(s1.kernel_release, os.uname().release)
        self.assertTrue(s1.programs, s1)
        self.assertLess(s1.uptime_seconds, 300)
        self.assertEqual((s1.watches, s1.cgroups), (2, 1))
        self.assertEqual(s1.events - s0.events, len(expected))
        self.assertGreaterEqual(s1.records - s0.records, 7)  # 7 steps, one record or more each
        self.assertGreater(s1.kernel.seen, s0.kernel.seen)
        self.assertGreater(s1.kernel.filtered, s0.kernel.filtered)
        self.assertGreater(s1.kernel.emitted, s0.kernel.emitted)
        self.assertEqual(s1.kernel.dropped, 0)
        self.assertEqual(s1.malformed, 0)
        self.assertEqual(s1.streams, 7)
        self.assertEqual(s1.stream_drops, 0)

        for r in self.readers:
            r.cancel()
        api.wait_streams(0)

        # after UpdateWatch only the new events of w-a arrive
        w = self.watch_a()
        del w.subjects[0].events[:]
        w.subjects[0].events.append(self.ev("DELETE"))
        api.n_update(N.UpdateWatchRequest(watch=w), timeout=10)
        after = self.stream()
        api.wait_streams(1)
        self.cg.run([WORKLOAD, f"create:{d}/a/f2", f"write:{d}/a/f2:x", f"unlink:{d}/a/f2"])
        after.wait_count(1)
        self.assertEqual(brief(after.settle()), [("DELETE", f"{d}/a/f2")])


class NativeContainer(NativeCase):
    def test_container_target_records(self):
        """A runc:// target: the binding names the container, events carry it, paths are
        the container's own, the process is the container's."""
        self.c = RuncContainer("grpc-native", [
            "/pn_workload", "create:/data/f", "write:/data/f:x", "create:/tmp/not-watched"],
            extra_files=[(WORKLOAD, "/pn_workload")])
        self.c.create()
        host_pid = self.c.state()["pid"]
        api = self.start_agent()
        N = self.N
        cid = f"runc://{self.c.id}"
        info = self.create(N.Watch(name="ctr", targets=N.Targets(containers=[cid]),
                                   subjects=[N.Subject(paths=["/data"],
                                                       events=[self.ev("ALL")])]))
        cg_dir = os.path.join(cgroup2_root(), "panoptes-e2e", self.c.id)
        ino = os.stat(cg_dir).st_ino
        self.assertEqual([(b.id, b.container) for b in info.cgroups], [(ino, cid)])
        s = self.stream(watches=["ctr"])
        api.wait_streams(1)
        self.c.start()
        expected = [("CREATE", "/data/f"), ("OPEN", "/data/f"), ("CLOSE_WRITE", "/data/f"),
                    ("OPEN", "/data/f"), ("MODIFY", "/data/f"), ("CLOSE_WRITE", "/data/f")]
        s.wait_count(len(expected), timeout=20)
        events = s.settle()
        self.assertEqual([(N.EventType.Name(e.type)[len("EVENT_TYPE_"):], e.path)
                          for e in events], expected)
        for e in events:
            self.assertEqual((e.process.tgid, e.process.comm), (host_pid, "pn_workload"))
            self.assertEqual((e.container, e.cgroup_id, e.watch), (cid, ino, "ctr"))
            self.assertEqual((e.dir, e.file), ("/data", "f"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
