#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hostile input, end to end, with clients we did not write: names no
protobuf library may carry (file names and a comm that are not UTF-8, with
control bytes) reach Python's protobuf decodable on native StreamEvents,
ListWatches and argus RecordMetrics/GetWatchState, escaped in the log line
and on stdout, and /metrics stays valid for promtool; client text that is not
UTF-8 or holds control bytes is INVALID_ARGUMENT naming the field; a line
cannot be forged; cgroup targets cannot leave the cgroup tree; a policy
file of aliases or deep nesting is refused at once; a watch the kernel's map
of watched cgroups has no room for is refused and leaves nothing behind."""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import grpc
from google.protobuf.message import DecodeError

from pn_e2e import PANOPTESD, WORKLOAD, Cgroup, cgroup2_root, http_get, run_cli
from pn_grpc import Api, GrpcCase, _varint, with_submessage

INVALID = grpc.StatusCode.INVALID_ARGUMENT
PANOPTESCTL = os.environ.get("PANOPTESCTL", "panoptesctl")

# A file name and a comm the kernel reports as they are: not UTF-8, with control bytes
BAD_FILE = b"bad\xff\n\x1b[31mname\\x"
BAD_COMM = b"\xfe\xffcomm\x1b\x07"
# A name that would forge a second line if printed raw
# (no ':', which pn_workload takes for its separator)
FORGED = b"x\n2026-12-02T00.00.00.000000000Z CREATE file 'shadow' (p-node-e2e) "
FMT = "{event} {file} {comm} {pod}"


def text_escape(b):
    """The log line's escape (src/lib/text.c), written again byte by byte."""
    out, i = [], 0
    while i < len(b):
        c = b[i]
        if c == 0x5c:
            out.append("\\\\")
        elif c < 0x20 or c == 0x7f:
            out.append(f"\\x{c:02x}")
        elif c < 0x80:
            out.append(chr(c))
        else:
            for k in (4, 3, 2):
                try:
                    ch = b[i:i + k].decode("utf-8")
                    if len(ch) == 1:
                        break
                except UnicodeDecodeError:
                    pass
            else:
                out.append(f"\\x{c:02x}")
                i += 1
                continue
            if 0x80 <= ord(ch) < 0xa0:
                out.append("".join(f"\\x{x:02x}" for x in ch.encode()))
            else:
                out.append(ch)
            i += k
            continue
        i += 1
    return "".join(out)


def proto_escape(b):
    """An Event string field's escape: the bytes when UTF-8, else \\xNN and \\\\."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out, i = [], 0
    while i < len(b):
        for k in (1, 2, 3, 4):
            try:
                ch = b[i:i + k].decode("utf-8")
                break
            except UnicodeDecodeError:
                ch = None
        if ch is None:
            out.append(f"\\x{b[i]:02x}")
            i += 1
        else:
            out.append("\\\\" if ch == "\\" else ch)
            i += len(ch.encode())
    return "".join(out)


class HostileCase(GrpcCase):
    cgroup_name = "hostile"

    def decode(self, cls, raw):
        """Python's protobuf on raw bytes: a DecodeError fails the test, naming the bytes."""
        try:
            return cls.FromString(raw)
        except DecodeError as e:
            self.fail(f"{cls.DESCRIPTOR.full_name} undecodable for Python protobuf: {e}: "
                      f"{raw[:200]!r}")

    def raw_unary(self, path):
        return self.channels[0].unary_unary(path, request_serializer=None,
                                            response_deserializer=None)

    def raw_stream(self, path):
        return self.channels[0].unary_stream(path, request_serializer=None,
                                             response_deserializer=None)


class KernelNames(HostileCase):
    def test_names_not_utf8_reach_every_client_decodable(self):
        # the decoder must be one that refuses invalid UTF-8, or this test proves nothing
        N0 = self.start_agent(output="text").N
        with self.assertRaises(DecodeError):
            N0.Event.FromString(b"\x2a\x02a\xff")  # path = "a\xff"
        api, N, A, d = self.api, self.api.N, self.api.A, self.tmp.path

        api.n_create(N.CreateWatchRequest(watch=N.Watch(
            name="w-bad", pod="pod-x", log_format=FMT,
            targets=N.Targets(cgroups=[self.cg.path]),
            subjects=[N.Subject(paths=[d], events=[N.EventType.Value("EVENT_TYPE_CREATE")])])),
            timeout=10)
        sleeper = self.add_sleeper()
        api.create_watch(A.ArgusdConfig(
            name="a-bad", podName="pod-a", nodeName="node-e2e", pid=[sleeper.proc.pid],
            logFormat=FMT, subject=[A.ArgusWatcherSubject(path=[d], event=["create"])]),
            timeout=10)
        native = self.reader(api.stream_events_raw(N.StreamEventsRequest(), timeout=60))
        metrics = self.reader(self.raw_stream("/argus.Argusd/RecordMetrics")(
            A.Empty().SerializeToString(), timeout=60))
        ctl_text = subprocess.Popen([PANOPTESCTL, "--server", self.agent.addr, "events",
                                     "--count", "4"], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
        ctl_json = subprocess.Popen([PANOPTESCTL, "--server", self.agent.addr, "events",
                                     "--count", "4", "--output", "json"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        api.wait_streams(4)

        self.cg.run([WORKLOAD, b"comm:" + BAD_COMM, b"create:" + os.fsencode(d) + b"/" + BAD_FILE,
                     b"create:" + os.fsencode(d) + b"/" + FORGED])
        native.wait_count(4)  # two files, two watches
        metrics.wait_count(4)
        events = [self.decode(N.Event, m) for m in native.settle()]
        self.assertEqual(len(events), 4, events)
        for e in events:
            name = BAD_FILE if e.raw.file.startswith(b"bad") else FORGED
            want_line = " ".join((f"CREATE {text_escape(name)}", text_escape(BAD_COMM[:15]),
                                  "pod-x" if e.watch == "w-bad" else "pod-a"))
            self.assertEqual(e.line, want_line)
            self.assertNotIn("\n", e.line)
            self.assertNotIn("\x1b", e.line)
            self.assertTrue(e.escaped, e)
            self.assertEqual(e.file, proto_escape(name))
            self.assertEqual(e.raw.file, name)
            self.assertEqual(e.raw.path, os.fsencode(d) + b"/" + name)
            self.assertEqual(e.raw.dir, os.fsencode(d))
            self.assertEqual(e.process.comm, proto_escape(BAD_COMM))
            self.assertEqual(e.raw.comm, BAD_COMM)
        self.assertEqual(sorted(e.watch for e in events), ["a-bad", "a-bad", "w-bad", "w-bad"])

        handles = [self.decode(A.ArgusdMetricsHandle, m) for m in metrics.settle()]
        self.assertEqual(sorted((h.argusWatcher, h.event) for h in handles),
                         [("a-bad", "create")] * 2 + [("w-bad", "create")] * 2)

        listed = self.decode(N.ListWatchesResponse, self.raw_unary(
            "/panoptes.v1.Agent/ListWatches")(N.ListWatchesRequest().SerializeToString(),
                                              timeout=10))
        self.assertEqual(sorted(w.watch.name for w in listed.watches), ["a-bad", "w-bad"])
        state = [self.decode(A.ArgusdHandle, m) for m in self.raw_stream(
            "/argus.Argusd/GetWatchState")(A.Empty().SerializeToString(), timeout=10)]
        self.assertEqual(len(state), 2)

        # stdout: the same lines, one line each, well-formed UTF-8, nothing a terminal acts on
        self.agent.wait_for(lambda ls: len(ls) >= 4)
        raw = self.agent.raw_lines
        self.assertEqual(len(raw), 4, raw)
        for line in raw:
            text = line.decode("utf-8")  # strict: raises if not UTF-8
            self.assertFalse(any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in text), text)
        self.assertEqual(sorted(r.decode() for r in raw), sorted(e.line for e in events))

        # panoptesctl: the same lines for a terminal; JSON with the bytes under "raw"
        out, err = ctl_text.communicate(timeout=30)
        self.assertEqual((ctl_text.returncode, err), (0, b""))
        self.assertEqual(sorted(out.decode("utf-8").splitlines()),
                         sorted(e.line for e in events))
        out, err = ctl_json.communicate(timeout=30)
        self.assertEqual((ctl_json.returncode, err), (0, b""))
        objs = [json.loads(line) for line in out.decode("utf-8").splitlines()]
        self.assertEqual(len(objs), 4)
        for o in objs:
            self.assertTrue(o["escaped"])
            self.assertEqual(o["raw"]["comm"].encode("latin-1"), BAD_COMM)
            self.assertEqual(o["process"]["comm"], proto_escape(BAD_COMM))
        self.assertEqual(sorted(o["raw"]["file"].encode("latin-1") for o in objs),
                         sorted([BAD_FILE, BAD_FILE, FORGED, FORGED]))

        # /metrics, as a scraper reads it
        code, page = http_get(self.agent.metrics_addr, "/metrics")
        self.assertEqual(code, 200)
        check = subprocess.run(["promtool", "check", "metrics"], input=page, text=True,
                               capture_output=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn('panoptes_events_total{watch="w-bad",event="CREATE"} 2', page)


class ClientText(HostileCase):
    def test_text_that_is_not_utf8_or_holds_control_bytes_is_refused(self):
        api = self.start_agent()
        N, A, d = api.N, api.A, self.tmp.path
        sub = N.Subject(paths=[d], events=[N.EventType.Value("EVENT_TYPE_CREATE")])
        tgt = N.Targets(cgroups=[self.cg.path])

        def native_raw(watch_bytes, timeout=10):
            req = _varint(1 << 3 | 2) + _varint(len(watch_bytes)) + watch_bytes
            return self.raw_unary("/panoptes.v1.Agent/CreateWatch")(req, timeout=timeout)

        # a name that is not UTF-8: Python cannot even build it, another client can
        self.assertRpcError(native_raw, with_submessage(N.Watch(targets=tgt, subjects=[sub]),
                                                        "name", b"w\xff"),
                            INVALID, "watch.name: not valid UTF-8 at byte 1 (0xff)")
        self.assertRpcError(native_raw, with_submessage(
            N.Watch(name="w", targets=tgt, subjects=[sub]), "pod", b"\xc0\xaf"),
            INVALID, "watch.pod: not valid UTF-8 at byte 0 (0xc0)")
        forged = "p\n2026-12-02T00:00:00.000000000Z CREATE file '/etc/shadow' (p:node-e2e) "
        cases = [
            (N.Watch(name="w", pod=forged, targets=tgt, subjects=[sub]),
             "watch.pod: control byte 0x0a at byte 1"),
            (N.Watch(name="w\x1b[2J", targets=tgt, subjects=[sub]),
             "watch.name: control byte 0x1b at byte 1"),
            (N.Watch(name="w", log_format="{event}\r{file}", targets=tgt, subjects=[sub]),
             "watch.log_format: control byte 0x0d at byte 7"),
            (N.Watch(name="w", targets=N.Targets(cgroups=[self.cg.path + "\n"]),
                     subjects=[sub]),
             "watch.targets.cgroups[0]: control byte 0x0a at byte"),
            (N.Watch(name="w", targets=N.Targets(containers=["abc\u0085def"]),
                     subjects=[sub]),
             "watch.targets.containers[0]: control character U+0085 at byte 3"),
            (N.Watch(name="w", targets=tgt, subjects=[N.Subject(
                paths=[d], events=sub.events, tags={"team": "web\n" + forged})]),
             'watch.subjects[0].tags: value of key "team": control byte 0x0a at byte 3'),
            (N.Watch(name="w", targets=tgt, subjects=[N.Subject(
                paths=[d + "/\t"], events=sub.events)]),
             "watch.subjects[0].paths[0]: control byte 0x09 at byte"),
        ]
        for w, msg in cases:
            self.assertRpcError(api.n_create, N.CreateWatchRequest(watch=w), INVALID, msg)

        a_sub = A.ArgusWatcherSubject(path=[d], event=["create"])
        for cfg, msg in [
            (A.ArgusdConfig(name="a", podName=forged, pid=[os.getpid()], subject=[a_sub]),
             "podName: control byte 0x0a at byte 1"),
            (A.ArgusdConfig(name="a", nodeName="n\x7f", pid=[os.getpid()], subject=[a_sub]),
             "nodeName: control byte 0x7f at byte 1"),
            (A.ArgusdConfig(name="a", cid=["docker://ab\ncd"], subject=[a_sub]),
             "cid[0]: control byte 0x0a at byte 11"),
            (A.ArgusdConfig(name="a", logFormat="{file}\x1b", pid=[os.getpid()],
                            subject=[a_sub]),
             "logFormat: control byte 0x1b at byte 6"),
        ]:
            self.assertRpcError(api.create_watch, cfg, INVALID, msg)
        self.assertRpcError(api.create_watch_raw, with_submessage(
            A.ArgusdConfig(pid=[os.getpid()], subject=[a_sub]), "name", b"a\xfe"),
            INVALID, "name: not valid UTF-8 at byte 1 (0xfe)")

        call = api.stream_events(N.StreamEventsRequest(watches=["ok", "x\ny"]), timeout=10)
        with self.assertRaises(grpc.RpcError) as cm:
            next(call)
        self.assertEqual(cm.exception.code(), INVALID)
        self.assertIn("watches[1]: control byte 0x0a at byte 1", cm.exception.details())

        # nothing of it was installed, and the agent still serves
        self.assertEqual([w.watch.name for w in api.list_watches()], [])
        self.assertEqual(api.serving(), api.H.HealthCheckResponse.SERVING)

    def test_flags_and_policy_files_follow_the_same_rule(self):
        code, _, err = run_cli(["--watch-cgroup", self.cg.path, "--path", self.tmp.path,
                                "--pod", "p\n2026 CREATE file /etc/shadow", "--listen", ""])
        self.assertNotEqual(code, 0)
        self.assertIn("--pod: control byte 0x0a at byte 1", err)
        code, _, err = run_cli(["--node-name", "n\x1b", "--listen", ""])
        self.assertNotEqual(code, 0)
        self.assertIn("--node-name: control byte 0x1b at byte 1", err)
        pol = os.path.join(self.tmp.path, "p.yaml")
        with open(pol, "w") as f:
            f.write(f'name: w\npod: "web\\n2026 CREATE file /etc/shadow"\n'
                    f"targets: {{cgroups: [{self.cg.path}]}}\nsubjects: [{{paths: [/x]}}]\n")
        code, _, err = run_cli(["--policy", pol, "--listen", ""])
        self.assertNotEqual(code, 0)
        self.assertIn(f"{pol}:2:6: pod: control byte 0x0a at byte 3", err)


class CgroupTargets(HostileCase):
    def test_targets_outside_the_cgroup_tree_are_refused(self):
        root = cgroup2_root()
        code, _, err = run_cli(["--watch-cgroup", "../../../../etc", "--path", "/tmp",
                                "--listen", "", "--pin-path", "", "--metrics-listen", ""])
        self.assertEqual(code, 1, err)
        self.assertIn('cgroup ../../../../etc: ".." is not allowed: give a path inside the '
                      f"cgroup tree ({root})", err)
        self.assertNotIn("looked for", err)

        api = self.start_agent()
        N = api.N
        sub = N.Subject(paths=["/tmp"], events=[N.EventType.Value("EVENT_TYPE_CREATE")])
        for target in ("../..", "../../../../etc", root + "/../../etc", "a/../../b"):
            self.assertRpcError(api.n_create, N.CreateWatchRequest(watch=N.Watch(
                name="w", targets=N.Targets(cgroups=[target]), subjects=[sub])),
                INVALID, f'cgroup {target}: ".." is not allowed')
        # an absolute host path is looked up inside the cgroup tree, and named there only
        e = self.assertRpcError(api.n_create, N.CreateWatchRequest(watch=N.Watch(
            name="w", targets=N.Targets(cgroups=["/etc"]), subjects=[sub])),
            grpc.StatusCode.NOT_FOUND, f"cgroup /etc: not found (looked for {root}/etc)")
        self.assertEqual(e.details().count("/etc"), 2, e.details())
        # "." and "//" are spelling: the test's own cgroup, so spelt, is found
        rel = os.path.relpath(self.cg.path, root)
        info = api.n_create(N.CreateWatchRequest(watch=N.Watch(
            name="w", targets=N.Targets(cgroups=[f"./{rel}//."]), subjects=[sub])), timeout=10)
        self.assertIn(self.cg.path, [c.path for c in info.cgroups])


class PolicyBounds(HostileCase):
    def refused_quickly(self, text, want):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=self.tmp.path,
                                         delete=False) as f:
            f.write(text)
        t0 = time.monotonic()
        code, _, err = run_cli(["--policy", f.name, "--listen", ""], timeout=60)
        took = time.monotonic() - t0
        self.assertEqual(code, 1, err)
        self.assertIn(f.name + ":", err)
        self.assertIn(want, err)
        self.assertLess(took, 2.0, f"took {took:.1f} s")

    def test_billion_laughs_and_deep_nesting_are_refused_at_once(self):
        laughs = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        for i in range(1, 30):
            laughs.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
        self.refused_quickly("\n".join(laughs) + "\n",
                             ":2:10: aliases (*a0) are not accepted in policy files")
        self.refused_quickly("[" * 200000, ":1:33: nested more than 32 levels deep")
        # block style: a list item holding a key holding a list, 2 levels a line
        self.refused_quickly("x:\n" + "".join(" " * (2 * i) + "- x:\n" for i in range(100)),
                             ": nested more than 32 levels deep")
        keys = "".join(f"k{i}: v\n" for i in range(100000))
        self.refused_quickly(keys, ":1025:1: more than 1024 keys in one mapping")


class KernelMapFull(HostileCase):
    cgroup_name = "mapfull"

    def test_watch_past_the_kernel_map_is_refused_and_rolled_back(self):
        """--max-cgroups 3 sizes the kernel's map: the watch that needs a fourth and a
        fifth entry is RESOURCE_EXHAUSTED, and the kernel, the registry and the
        events are as before it; once there is room the same watch works."""
        api = self.start_agent("--max-cgroups", "3")
        N, d = api.N, self.tmp.path
        cgs = [Cgroup(f"mapfull{i}") for i in range(4)]
        self.addCleanup(lambda: [c.close() for c in cgs])

        def watch(name, groups):
            return N.CreateWatchRequest(watch=N.Watch(
                name=name, pod=name, log_format="{event} {path}{sep}{file} {pod}",
                targets=N.Targets(cgroups=[g.path for g in groups]),
                subjects=[N.Subject(paths=[d], events=[N.EventType.Value("EVENT_TYPE_CREATE")])]))

        api.n_create(watch("first", [self.cg, cgs[0]]), timeout=10)
        # "first" holds 2 of the 3 entries: a watch of 2 more does not fit
        e = self.assertRpcError(api.n_create, watch("second", cgs[1:3]),
                                grpc.StatusCode.RESOURCE_EXHAUSTED,
                                "the kernel's map of watched cgroups refused it", "it is full")
        self.assertRegex(e.details(), r"cgroup \S*/panoptes-e2e/mapfull[12]-\d+: ")
        # an update that needs more entries leaves the watch as it was
        self.assertRpcError(api.n_update, N.UpdateWatchRequest(
            watch=watch("first", [self.cg, cgs[0], cgs[1], cgs[2]]).watch),
            grpc.StatusCode.RESOURCE_EXHAUSTED, "it is full")
        self.assertEqual([w.watch.name for w in api.list_watches()], ["first"])
        (info,) = api.list_watches()
        self.assertEqual(sorted(b.id for b in info.cgroups),
                         sorted(os.stat(g.path).st_ino for g in (self.cg, cgs[0])))

        cgs[1].run([WORKLOAD, f"create:{d}/in-second"])
        self.cg.run([WORKLOAD, f"create:{d}/in-first"])
        lines = self.agent.wait_for(lambda l: any("in-first" in x for x in l))
        self.agent.settle(quiet=0.3)
        self.assertEqual([l for l in lines if "in-" in l], [f"CREATE {d}/in-first first"])

        # room again: the same watch is installed and reports
        api.n_delete(N.DeleteWatchRequest(name="first"), timeout=10)
        api.n_create(watch("second", cgs[1:3]), timeout=10)
        cgs[2].run([WORKLOAD, f"create:{d}/in-second-again"])
        self.agent.wait_for(lambda l: f"CREATE {d}/in-second-again second" in l)


class StuckLog(HostileCase):
    cgroup_name = "stucklog"

    def test_a_stdout_that_stops_draining_holds_up_no_call(self):
        """The log's reader stops (a stuck shipper or terminal): the consumer blocks
        in write(), and gRPC, /metrics and the probes answer as before; nothing
        is lost once the reader resumes (the ring buffer holds the rest)."""
        api = self.start_agent(output="json")
        N, d = api.N, self.tmp.path
        api.n_create(N.CreateWatchRequest(watch=N.Watch(
            name="w", targets=N.Targets(cgroups=[self.cg.path]),
            subjects=[N.Subject(paths=[d], events=[N.EventType.Value("EVENT_TYPE_CREATE")])])),
            timeout=10)
        # ~500-byte JSON lines: 800 of them are past the pipe (64 KiB) and one read chunk
        names = [f"{d}/{i:04d}-" + "x" * 200 for i in range(800)]
        self.agent.pause_stdout()
        # stopped while the workload runs, the agent then finds every record in one batch:
        # its 64 KiB stdio buffer fills (and write() blocks) in the middle of the batch
        self.agent.proc.send_signal(signal.SIGSTOP)
        try:
            self.cg.run([WORKLOAD] + [f"create:{n}" for n in names])
        finally:
            self.agent.proc.send_signal(signal.SIGCONT)
        # the consumer is stuck once it has written what the pipe holds
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            before = self.agent.metrics()["panoptes_records_total"]
            time.sleep(0.5)
            if self.agent.metrics()["panoptes_records_total"] == before:
                break
        self.assertLess(before, len(names), "the log should be stuck before the last event")

        def timed(what, fn):
            t0 = time.monotonic()
            fn()
            took = time.monotonic() - t0
            self.assertLess(took, 1.0, f"{what} took {took:.2f} s with the log stuck")

        timed("Health.Check", lambda: api.serving())
        timed("GetStatus", lambda: api.status())
        timed("ListWatches", lambda: self.assertEqual(len(api.list_watches()), 1))
        timed("CreateWatch", lambda: api.n_create(N.CreateWatchRequest(watch=N.Watch(
            name="w2", targets=N.Targets(cgroups=[self.cg.path]),
            subjects=[N.Subject(paths=["/nowhere"],
                                events=[N.EventType.Value("EVENT_TYPE_CREATE")])])), timeout=5))
        timed("DeleteWatch", lambda: api.n_delete(N.DeleteWatchRequest(name="w2"), timeout=5))
        timed("/metrics", lambda: self.assertEqual(http_get(self.agent.metrics_addr,
                                                            "/metrics")[0], 200))
        timed("/healthz", lambda: self.assertEqual(http_get(self.agent.metrics_addr,
                                                            "/healthz")[0], 200))

        self.agent.resume_stdout()
        lines = self.agent.wait_for(lambda l: len(l) >= len(names), timeout=30)
        self.assertEqual([l["path"] for l in lines if l["event"] == "CREATE"], names)


class SlowChanges(HostileCase):
    cgroup_name = "slowchanges"

    def test_health_and_status_answer_while_changes_queue(self):
        """Container targets are found by walking the cgroup tree: with 1,500 more
        cgroups, a watch of 16 containers takes a while to resolve. 6 clients
        install such watches at once; they queue on the manage worker, and
        meanwhile Health.Check and GetStatus answer within 1 s, every time."""
        import threading
        api = self.start_agent()
        N, d = api.N, self.tmp.path
        cid = "ab" * 32
        made = [os.path.join(self.cg.path, f"docker-{cid}.scope")]
        for i in range(30):
            made.append(os.path.join(self.cg.path, f"wide{i}"))
            made += [os.path.join(made[-1], f"c{j}") for j in range(50)]
        for m in made:
            os.mkdir(m)
        self.addCleanup(lambda: [os.rmdir(m) for m in reversed(made)])
        errors, took = [], []

        def install(k):
            try:
                own = Api(self.channel())
                t0 = time.monotonic()
                own.n_create(N.CreateWatchRequest(watch=N.Watch(
                    name=f"slow-{k}", targets=N.Targets(containers=[f"docker://{cid}"] * 16),
                    subjects=[N.Subject(paths=[d], events=[
                        N.EventType.Value("EVENT_TYPE_CREATE")])])), timeout=120)
                took.append(time.monotonic() - t0)
            except Exception as e:  # reported by the main thread
                errors.append(e)

        threads = [threading.Thread(target=install, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        worst, probes = 0.0, 0
        while any(t.is_alive() for t in threads):
            for fn in (api.serving, api.status):
                t0 = time.monotonic()
                fn()
                worst = max(worst, time.monotonic() - t0)
                probes += 1
            time.sleep(0.05)
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(api.list_watches()), 6)
        # the changes did queue: the last of them waited for the others
        self.assertGreater(max(took), 1.0, f"the installs took {sorted(took)}")
        self.assertLess(worst, 1.0, f"the slowest of {probes} health/status calls")

if __name__ == "__main__":
    unittest.main()
