#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""argus.Argusd and grpc.health.v1.Health, driven by Debian's python3-grpcio
(a client this project did not write), against a real runc container and a
plain cgroup: handles, log lines in the requested format, one metric per
matched event, update in place without loss, removal, every bad input with
its status code, and health through a SIGTERM."""
import signal
import time
import unittest

import grpc

from pn_e2e import WORKLOAD
from pn_grpc import (NODE, GrpcCase, rpc_error, runc_exec, runc_exec_bg, unused_pid,
                     with_submessage)
from runc_bundle import RuncContainer

FMT = "{event} {path}{sep}{file} {pod} {node} {tags}"
# {event} as printed -> the argus event name RecordMetrics reports
ARGUS_NAME = {"ACCESS": "access", "ATTRIB": "attrib", "CLOSE_WRITE": "closewrite",
              "CLOSE_NOWRITE": "closenowrite", "CREATE": "create", "DELETE": "delete",
              "DELETE_SELF": "deleteself", "MODIFY": "modify", "MOVE_SELF": "moveself",
              "MOVED_FROM": "movedfrom", "MOVED_TO": "movedto", "OPEN": "open"}


def metrics_of(lines, watch):
    """The RecordMetrics messages the log lines imply, as tuples."""
    return [(watch, ARGUS_NAME[l.split(" ", 1)[0]], NODE) for l in lines]


def brief_metrics(items):
    return [(m.argusWatcher, m.event, m.nodeName) for m in items]


def handles(hs):
    return sorted((h.nodeName, h.podName, tuple(sorted(h.pid))) for h in hs)


class ArgusCase(GrpcCase):
    cgroup_name = "grpc-argus"

    def container(self, name):
        self.c = RuncContainer(name, ["/bin/sleep", "1000"],
                               extra_files=[(WORKLOAD, "/pn_workload")])
        self.c.create()
        self.c.start()
        return self.c

    def new_lines(self, since, n=None, quiet=0.7, timeout=20):
        """Agent lines after index `since`: waits for n of them (if given), then for quiet."""
        if n is not None:
            self.agent.wait_for(lambda ls: len(ls) >= since + n, timeout=timeout)
        self.agent.settle(quiet=quiet, timeout=timeout)
        return self.agent.lines[since:]


class ArgusContainer(ArgusCase):
    def test_cid_watch_lines_metrics_update_destroy(self):
        """CreateWatch by runc:// id: handle, exact lines, one metric per event; update in
        place while a writer loops (no file lost, new events only after); DestroyWatch."""
        c = self.container("argus-cid")
        init_pid = c.state()["pid"]
        api = self.start_agent()
        A = api.A
        metrics = self.reader(api.record_metrics(A.Empty()))
        api.wait_streams(1)

        def config(events):
            return A.ArgusdConfig(
                name="argus-w1", nodeName=NODE, podName="pod-1", cid=[f"runc://{c.id}"],
                logFormat=FMT, subject=[A.ArgusWatcherSubject(
                    path=["/data"], event=events, tags={"tier": "db", "team": "web"})])

        h = api.create_watch(config(["create", "delete"]), timeout=10)
        self.assertEqual((h.nodeName, h.podName, list(h.pid)), (NODE, "pod-1", [init_pid]))
        self.assertEqual(api.watch_state(), [h])

        # phase 1: create and delete only; /data is not recursive (children only)
        runc_exec(c.id, ["/pn_workload", "create:/data/a", "write:/data/a:x", "mkdir:/data/d",
                         "create:/data/d/deep", "unlink:/data/a", "create:/tmp/elsewhere"])
        tags = "team=web,tier=db"
        phase1 = [f"CREATE /data/a pod-1 {NODE} {tags}", f"CREATE /data/d pod-1 {NODE} {tags}",
                  f"DELETE /data/a pod-1 {NODE} {tags}"]
        self.assertEqual(self.new_lines(0, len(phase1)), phase1)
        metrics.settle()
        self.assertEqual(brief_metrics(metrics.items), metrics_of(phase1, "argus-w1"))

        # phase 2: a writer creates N files while the watch is updated to create+closewrite
        n_files = 300
        mark = len(self.agent.lines)
        steps = []
        for i in range(n_files):
            steps += [f"create:/data/w{i}", "sleep:5"]
        writer = runc_exec_bg(c.id, ["/pn_workload"] + steps)
        first = f"CREATE /data/w0 pod-1 {NODE} {tags}"
        self.agent.wait_for(lambda ls: first in ls[mark:], timeout=20)
        self.assertIn(first, self.agent.lines[mark:])
        # the writer is sequential: w1's CREATE means w0 is closed, so the update cannot land
        # between w0's open and close (a preempted writer made the first CLOSE_WRITE w0's)
        self.agent.wait_for(lambda ls: f"CREATE /data/w1 pod-1 {NODE} {tags}" in ls[mark:],
                            timeout=20)
        h2 = api.create_watch(config(["create", "closewrite"]), timeout=10)
        # the writer is in the container too: its pid may be listed beside init's
        self.assertEqual((h2.nodeName, h2.podName), (NODE, "pod-1"))
        self.assertIn(init_pid, h2.pid)
        self.assertLessEqual(len(h2.pid), 2, h2)
        _, err = writer.communicate(timeout=60)
        self.assertEqual(writer.returncode, 0, err)
        state = api.watch_state()
        self.assertEqual([(s.nodeName, s.podName) for s in state], [(NODE, "pod-1")])
        self.assertIn(init_pid, state[0].pid)
        lines = self.new_lines(mark, n_files)
        creates = [l for l in lines if l.startswith("CREATE ")]
        closes = [l for l in lines if l.startswith("CLOSE_WRITE ")]
        self.assertEqual(creates, [f"CREATE /data/w{i} pod-1 {NODE} {tags}"
                                   for i in range(n_files)], "files lost across the update")
        self.assertTrue(closes, "no CLOSE_WRITE after the update")
        k = int(closes[0].split()[1][len("/data/w"):])
        self.assertTrue(1 <= k < n_files, k)
        self.assertEqual(closes, [f"CLOSE_WRITE /data/w{i} pod-1 {NODE} {tags}"
                                  for i in range(k, n_files)])
        self.assertEqual(len(lines), len(creates) + len(closes), lines)

        # phase 2b: closewrite is in, delete (only in the old events) is out
        mark = len(self.agent.lines)
        runc_exec(c.id, ["/pn_workload", "create:/data/b", "write:/data/b:x", "unlink:/data/b"])
        self.assertEqual(self.new_lines(mark, 3), [
            f"CREATE /data/b pod-1 {NODE} {tags}", f"CLOSE_WRITE /data/b pod-1 {NODE} {tags}",
            f"CLOSE_WRITE /data/b pod-1 {NODE} {tags}"])
        metrics.settle()
        self.assertEqual(brief_metrics(metrics.items), metrics_of(self.agent.lines, "argus-w1"))

        # phase 3: DestroyWatch as argus-controller sends it, with the pids of the handle
        # (the watch was made by cid): nothing more, on stdout or on the metrics stream
        by_pids = A.ArgusdConfig(nodeName=NODE, podName="pod-1", pid=list(h2.pid))
        self.assertEqual(api.destroy_watch(by_pids, timeout=10), A.Empty())
        self.assertEqual(api.watch_state(), [])
        mark, n_metrics = len(self.agent.lines), len(metrics.items)
        runc_exec(c.id, ["/pn_workload", "create:/data/z", "write:/data/z:x"])
        self.assertEqual(self.new_lines(mark, quiet=1.0), [])
        self.assertEqual(len(metrics.settle()), n_metrics)
        self.assertFalse(metrics.done.is_set(), metrics.error)  # the stream stays open
        # destroying what is gone answers OK, as argusd did, and changes nothing
        self.assertEqual(api.destroy_watch(by_pids, timeout=10), A.Empty())
        self.assertEqual(api.destroy_watch(config(["create"]), timeout=10), A.Empty())
        self.assertEqual(api.watch_state(), [])

    def test_pid_watch_default_format(self):
        """CreateWatch by the container's host pid, no name, no nodeName, no logFormat: the
        pod names the watch, the agent's node fills in, the default format prints."""
        c = self.container("argus-pid")
        pid = c.state()["pid"]
        api = self.start_agent()
        A = api.A
        metrics = self.reader(api.record_metrics(A.Empty()))
        api.wait_streams(1)
        cfg = A.ArgusdConfig(podName="pod-2", pid=[pid], subject=[A.ArgusWatcherSubject(
            path=["/data"], event=["all"], recursive=True, maxDepth=2,
            tags={"env": "test"})])
        h = api.create_watch(cfg, timeout=10)
        self.assertEqual((h.nodeName, h.podName, list(h.pid)), (NODE, "pod-2", [pid]))
        self.assertEqual(api.watch_state(), [h])

        runc_exec(c.id, ["/pn_workload", "mkdir:/data/d", "mkdir:/data/d/e",
                         "create:/data/d/e/too-deep", "create:/data/d/f", "chmod:/data/d/f:600"])
        expected = ["CREATE directory '/data/d' (pod-2:node-e2e) env=test",
                    "CREATE directory '/data/d/e' (pod-2:node-e2e) env=test",
                    "CREATE file '/data/d/f' (pod-2:node-e2e) env=test",
                    "OPEN file '/data/d/f' (pod-2:node-e2e) env=test",
                    "CLOSE_WRITE file '/data/d/f' (pod-2:node-e2e) env=test",
                    "ATTRIB file '/data/d/f' (pod-2:node-e2e) env=test"]
        self.assertEqual(self.new_lines(0, len(expected)), expected)
        metrics.settle()
        self.assertEqual(brief_metrics(metrics.items), metrics_of(expected, "pod-2"))

        # the key is node + pids: an explicit nodeName equal to the agent's is the same key
        destroy = A.ArgusdConfig(nodeName=NODE, pid=[pid])
        self.assertEqual(api.destroy_watch(destroy, timeout=10), A.Empty())
        self.assertEqual(api.watch_state(), [])
        self.assertEqual(api.destroy_watch(destroy, timeout=10), A.Empty())

    def test_attrib_on_directory_is_dir(self):
        """chmod by name on directories: ATTRIB with {ftype} directory, as inotify's IN_ISDIR,
        even when the process that did it has already exited."""
        c = self.container("argus-dir")
        api = self.start_agent()
        A = api.A
        cfg = A.ArgusdConfig(podName="pod-3", cid=[c.id],
                             logFormat="{event} {ftype} {path}{sep}{file}",
                             subject=[A.ArgusWatcherSubject(path=["/data"], event=["attrib"])])
        api.create_watch(cfg, timeout=10)
        runc_exec(c.id, ["/pn_workload"] + [f"mkdir:/data/d{i}" for i in range(3)]
                  + [f"chmod:/data/d{i}:700" for i in range(3)]
                  + ["create:/data/f", "chmod:/data/f:600"])
        expected = [f"ATTRIB directory /data/d{i}" for i in range(3)] + ["ATTRIB file /data/f"]
        self.assertEqual(self.new_lines(0, len(expected)), expected)
        # the key of a cid-only watch: the same cids
        self.assertEqual(api.destroy_watch(A.ArgusdConfig(cid=[c.id]), timeout=10), A.Empty())
        self.assertEqual(api.watch_state(), [])


class ArgusErrors(ArgusCase):
    """Every bad input: the right code, the field named, nothing changed, still SERVING."""
    cgroup_name = "grpc-errors"

    def setUp(self):
        super().setUp()
        for _ in range(3):
            self.add_sleeper()

    def test_bad_requests(self):
        api = self.start_agent("--max-request-bytes", "65536", "--max-watches", "2")
        A, H = api.A, api.H
        p1, p2, p3 = (s.pid for s in self.sleepers)
        d = self.tmp.path
        SERVING = H.HealthCheckResponse.SERVING

        def subject(**kw):
            s = dict(path=[d], event=["create"])
            s.update(kw)
            return A.ArgusWatcherSubject(**s)

        def config(**kw):
            c = dict(name="w0", nodeName=NODE, podName="pod-e", pid=[p1], subject=[subject()])
            c.update(kw)
            return A.ArgusdConfig(**c)

        h0 = api.create_watch(config(), timeout=10)
        self.assertEqual((h0.nodeName, h0.podName, list(h0.pid)), (NODE, "pod-e", [p1]))
        baseline = api.watch_state()
        self.assertEqual(baseline, [h0])

        INVALID, NOT_FOUND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND
        missing = unused_pid()
        cases = [
            ("unknown cid", config(pid=[], cid=["runc://no-such-container-e2e"]), NOT_FOUND,
             ["no-such-container-e2e"]),
            ("unknown pid", config(pid=[missing]), NOT_FOUND, [str(missing)]),
            ("unknown runtime", config(pid=[], cid=["podman://x"]), INVALID,
             ["cid: unknown container runtime \"podman\""]),
            ("negative pid", config(pid=[-5]), INVALID, ["pid", "-5"]),
            ("relative path", config(subject=[subject(path=["data/x"])]), INVALID,
             ["subject[0].path", "data/x"]),
            ("empty path", config(subject=[subject(path=[""])]), INVALID, ["subject[0].path"]),
            ("no path", config(subject=[subject(path=[])]), INVALID, ["subject[0].path"]),
            ("second subject", config(subject=[subject(), subject(path=[d, "rel"])]), INVALID,
             ["subject[1].path", "rel"]),
            ("unknown event", config(subject=[subject(event=["create", "bogus"])]), INVALID,
             ["subject[0].event[1]", "bogus"]),
            ("no event", config(subject=[subject(event=[])]), INVALID, ["subject[0].event"]),
            ("no subjects", config(subject=[]), INVALID, ["subject"]),
            ("no pid or cid", config(pid=[]), INVALID, ["pid", "cid"]),
            ("negative maxDepth", config(subject=[subject(recursive=True, maxDepth=-1)]),
             INVALID, ["subject[0].maxDepth", "-1"]),
            ("bad logFormat", config(logFormat="{event} {nope}"), INVALID,
             ["logFormat", "nope"]),
        ]
        for what, req, code, fragments in cases:
            with self.subTest(what):
                self.assertRpcError(api.create_watch, req, code, *fragments)
                self.assertEqual(api.serving(), SERVING)
                self.assertEqual(api.watch_state(), baseline)

        # DestroyWatch of a key nobody created: OK, as argusd, and nothing changes
        self.assertEqual(api.destroy_watch(config(pid=[p2]), timeout=10), A.Empty())
        self.assertEqual(api.watch_state(), baseline)

        # undecodable bytes (truncated field, invalid wire type, endless varint)
        for raw in (b"\x0a\x10abc", b"\x0f\x01", b"\xff" * 11):
            with self.subTest(raw=raw):
                e = rpc_error(api.create_watch_raw, raw)
                self.assertIn(e.code(), (INVALID, grpc.StatusCode.INTERNAL), e.details())
                self.assertEqual(api.serving(), SERVING)
                self.assertEqual(api.watch_state(), baseline)

        # over --max-request-bytes: a valid message and raw bytes
        big = config(pid=[p2], name="x" * 70000)
        self.assertGreater(big.ByteSize(), 65536)
        self.assertRpcError(api.create_watch, big, grpc.StatusCode.RESOURCE_EXHAUSTED)
        e = rpc_error(api.create_watch_raw, b"\x0a" + b"\xff" * 70000)
        self.assertEqual(e.code(), grpc.StatusCode.RESOURCE_EXHAUSTED, e.details())
        self.assertEqual(api.serving(), SERVING)
        self.assertEqual(api.watch_state(), baseline)
        # just under the limit is fine (and is a real watch), each list within its bound
        near = config(pid=[p3, p2], subject=[subject(
            ignore=[f"skip-{i:010d}" for i in range(64)])] * 50)
        self.assertTrue(50000 < near.ByteSize() < 65536, near.ByteSize())
        h1 = api.create_watch(near, timeout=10)
        self.assertEqual(sorted(h1.pid), sorted([p2, p3]))
        two = handles([h0, h1])
        self.assertEqual(handles(api.watch_state()), two)

        # --max-watches 2: a third key is refused, updating an existing key is not
        self.assertRpcError(api.create_watch, config(pid=[p2]), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(api.serving(), SERVING)
        self.assertEqual(handles(api.watch_state()), two)
        h0b = api.create_watch(config(subject=[subject(event=["delete"])]), timeout=10)
        self.assertEqual(h0b, h0)
        self.assertEqual(handles(api.watch_state()), two)
        # the key has sorted pids: [p2, p3] removes what [p3, p2] made; then room again
        self.assertEqual(api.destroy_watch(config(pid=[p2, p3]), timeout=10), A.Empty())
        self.assertEqual(api.watch_state(), [h0])
        h2 = api.create_watch(config(pid=[p2], podName="pod-f"), timeout=10)
        self.assertEqual(handles(api.watch_state()), handles([h0, h2]))

    def test_subject_rules(self):
        """maxDepth without recursive and a tag key twice: INVALID_ARGUMENT naming the field,
        as from a policy file or the flags; nothing changes."""
        api = self.start_agent()
        A = api.A
        d, pid = self.tmp.path, self.sleepers[0].pid
        INVALID = grpc.StatusCode.INVALID_ARGUMENT

        def config(subjects):
            return A.ArgusdConfig(name="w", nodeName=NODE, podName="pod-r", pid=[pid],
                                  subject=subjects)

        shallow = A.ArgusWatcherSubject(path=[d], event=["create"], maxDepth=2)
        self.assertRpcError(api.create_watch, config([A.ArgusWatcherSubject(
            path=[d], event=["create"]), shallow]), INVALID,
            "subject[1].maxDepth: only meaningful with recursive")
        # a map key twice on the wire (Python's map cannot hold it; another client's can)
        twice = (A.ArgusWatcherSubject(path=[d], event=["create"], tags={"team": "web"})
                 .SerializeToString() + A.ArgusWatcherSubject(tags={"team": "db"})
                 .SerializeToString())
        self.assertRpcError(api.create_watch_raw, with_submessage(config([]), "subject", twice),
                            INVALID, 'subject[0].tags: key "team" given twice')
        self.assertEqual(api.watch_state(), [])
        # 0, unlimited, needs no recursive; a depth with it is a watch
        shallow.maxDepth = 0
        api.create_watch(config([shallow]), timeout=10)
        h = api.create_watch(config([A.ArgusWatcherSubject(path=[d], event=["create"],
                                                           recursive=True, maxDepth=2)]),
                             timeout=10)
        self.assertEqual(api.watch_state(), [h])


class Health(ArgusCase):
    def test_check_and_watch_through_sigterm(self):
        api = self.start_agent()
        H = api.H
        for service in ("", "argus.Argusd", "panoptes.v1.Agent"):
            self.assertEqual(api.serving(service), H.HealthCheckResponse.SERVING, service)
        self.assertRpcError(api.check, H.HealthCheckRequest(service="no.such.Service"),
                            grpc.StatusCode.NOT_FOUND)

        unknown = self.reader(api.health_watch(H.HealthCheckRequest(service="no.such.Service")))
        self.assertEqual([m.status for m in unknown.wait_count(1, timeout=10)],
                         [H.HealthCheckResponse.SERVICE_UNKNOWN])
        unknown.cancel()

        watches = {s: self.reader(api.health_watch(H.HealthCheckRequest(service=s)))
                   for s in ("", "argus.Argusd")}
        for s, w in watches.items():
            self.assertEqual([m.status for m in w.wait_count(1, timeout=10)],
                             [H.HealthCheckResponse.SERVING], s)
        time.sleep(0.3)
        for s, w in watches.items():
            self.assertEqual(len(w.items), 1, f"{s}: no change, no message")

        self.agent.signal(signal.SIGTERM)
        for s, w in watches.items():
            self.assertTrue(w.done.wait(20), f"{s}: the Watch stream did not end on SIGTERM")
            self.assertEqual([m.status for m in w.items],
                             [H.HealthCheckResponse.SERVING, H.HealthCheckResponse.NOT_SERVING],
                             s)
        self.agent.stop_clean()


if __name__ == "__main__":
    unittest.main(verbosity=2)
