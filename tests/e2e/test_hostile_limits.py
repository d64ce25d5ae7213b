#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hostile clients against the request bounds (issue 14, "Memory" and
"Hygiene"): requests larger than their method takes, lists longer than their
bound, unknown fields, NUL bytes, ambiguous argus keys, and a ListWatches
reply larger than a default client accepts. Each is sent as raw bytes, as
any client could, and must be refused with its exact status and message
while the agent's peak memory grows by less than RSS_BOUND; legitimate
requests at the bounds still work.

Environment (set by ctest): PANOPTESD, PANOPTESCTL (plain or ASan build).
Needs root (BPF, cgroups, /proc/PID/clear_refs).
"""
import json
import os
import subprocess
import unittest

import grpc

from pn_e2e import WORKLOAD
from pn_grpc import GrpcCase, _varint, trace

INVALID = grpc.StatusCode.INVALID_ARGUMENT
EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED
PANOPTESCTL = os.environ.get("PANOPTESCTL", "panoptesctl")

# What one refused attack may add to the agent's peak RSS. gRPC itself holds a
# received message whole before the handler sees it (up to --max-request-bytes,
# 4 MiB) and ASan's redzones and quarantine add to that; before the bounds,
# these attacks cost 127-260 MB.
RSS_BOUND = 32 << 20

# The bounds of src/api/bounds.h, restated here on purpose: the test says what
# the docs promise, so a change of either shows.
WATCH_REQUEST = 512 * 1024
SMALL_REQUEST = 1024
PATH_BYTES = 4095
NAME_BYTES = 253


def field(num, payload):
    """A length-delimited field: tag, length, bytes."""
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def kib(n):
    return n << 10


class Limits(GrpcCase):
    cgroup_name = "limits"

    def raw(self, path):
        return self.channels[0].unary_unary(path, request_serializer=None,
                                            response_deserializer=None)

    def status_kb(self, key):
        with open(f"/proc/{self.agent.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) << 10
        raise AssertionError(f"no {key} in /proc/PID/status")

    def refused_cheaply(self, path, payload, code, message, **kw):
        """The call on raw bytes fails with exactly (code, message), and the agent's
        peak RSS (reset just before) grows by less than RSS_BOUND."""
        with open(f"/proc/{self.agent.proc.pid}/clear_refs", "w") as f:
            f.write("5")  # VmHWM := VmRSS
        before = self.status_kb("VmRSS")
        with self.assertRaises(grpc.RpcError) as cm:
            self.raw(path)(payload, timeout=30, **kw)
        grown = self.status_kb("VmHWM") - before
        trace(f"{path} {len(payload)} bytes: peak RSS +{grown >> 10} KiB")
        self.assertEqual((cm.exception.code(), cm.exception.details()), (code, message),
                         f"{path} with {len(payload)} bytes")
        self.assertLess(grown, RSS_BOUND, f"{path} with {len(payload)} bytes: peak RSS grew "
                        f"{grown >> 20} MiB")

    def sub(self, **kw):
        N = self.api.N
        return N.Subject(paths=[self.tmp.path], events=[N.EventType.Value("EVENT_TYPE_CREATE")],
                         **kw)

    def test_memory_attacks_are_refused_before_decoding(self):
        api = self.start_agent()
        N = api.N
        cg = self.cg.path.encode()
        subj = self.sub().SerializeToString()

        # one 3.9 MB CreateWatch (was +156 MB): refused by its size, unread
        big = field(1, field(1, b"w") + field(2, field(2, cg)) +
                    field(3, subj) * (3_900_000 // (len(subj) + 2)))
        self.refused_cheaply("/panoptes.v1.Agent/CreateWatch", big, EXHAUSTED,
                             f"request: {len(big)} bytes, more than the {WATCH_REQUEST} this "
                             "method takes")

        # one cgroup named 60,000 times in 1 MB (was 260 MB before dedup): too big; and
        # as many as fit the method's size: refused at the 65th, before any is decoded
        one = field(2, cg)
        for n in (60_000, (WATCH_REQUEST - 100) // len(one)):
            req = field(1, field(1, b"w") + field(2, one * n) + field(3, subj))
            if len(req) > WATCH_REQUEST:
                want = (EXHAUSTED, f"request: {len(req)} bytes, more than the {WATCH_REQUEST} "
                        "this method takes")
            else:
                want = (INVALID, "watch.targets.cgroups: more than 64 entries")
            self.refused_cheaply("/panoptes.v1.Agent/CreateWatch", req, *want)

        # argus: 60,000 cids / as many as fit
        cid = field(5, b"docker://0123456789abcdef")
        asub = field(6, field(1, self.tmp.path.encode()) + field(2, b"create"))
        for n in (60_000, (WATCH_REQUEST - 100) // len(cid)):
            req = cid * n + asub
            if len(req) > WATCH_REQUEST:
                want = (EXHAUSTED, f"request: {len(req)} bytes, more than the {WATCH_REQUEST} "
                        "this method takes")
            else:
                want = (INVALID, "cid: more than 16 entries")
            self.refused_cheaply("/argus.Argusd/CreateWatch", req, *want)

        # 4 MiB of unknown fields in a GetStatus (was +127 MB kept): too big for GetStatus
        unknown = (_varint(7 << 3 | 0) + b"\x01") * ((4 << 20) // 2 - 64)
        self.refused_cheaply("/panoptes.v1.Agent/GetStatus", unknown, EXHAUSTED,
                             f"request: {len(unknown)} bytes, more than the {SMALL_REQUEST} "
                             "this method takes")
        # at the size bound exactly, the walk refuses the first unknown field by number
        self.refused_cheaply("/panoptes.v1.Agent/GetStatus", unknown[:SMALL_REQUEST], INVALID,
                             "request: field 7 is not one of panoptes.v1.GetStatusRequest")
        self.refused_cheaply("/panoptes.v1.Agent/GetStatus", unknown[:SMALL_REQUEST + 2],
                             EXHAUSTED, f"request: {SMALL_REQUEST + 2} bytes, more than the "
                             f"{SMALL_REQUEST} this method takes")
        # compressed: 3 MiB of zeros in a few KB of gzip, counted as it inflates
        zeros = field(7, bytes(3 << 20))
        self.refused_cheaply("/panoptes.v1.Agent/GetStatus", zeros, EXHAUSTED,
                             f"request: {len(zeros)} bytes, more than the {SMALL_REQUEST} "
                             "this method takes", compression=grpc.Compression.Gzip)
        # unknown fields inside a watch, within its size: named where they are
        sub_unknown = self.sub().SerializeToString() + field(99, b"x") * 150_000
        req = field(1, field(1, b"w") + field(2, field(2, cg)) + field(3, sub_unknown))
        self.refused_cheaply("/panoptes.v1.Agent/CreateWatch", req, EXHAUSTED,
                             f"request: {len(req)} bytes, more than the {WATCH_REQUEST} this "
                             "method takes")
        req = field(1, field(1, b"w") + field(2, field(2, cg)) +
                    field(3, self.sub().SerializeToString() + field(99, b"x") * 1000))
        self.refused_cheaply("/panoptes.v1.Agent/CreateWatch", req, INVALID,
                             "watch.subjects[0]: field 99 is not one of panoptes.v1.Subject")
        # argus-controller's messages never carry one: refused there too
        self.refused_cheaply("/argus.Argusd/CreateWatch", asub + field(8, b"x"), INVALID,
                             "request: field 8 is not one of argus.ArgusdConfig")
        # health answers a probe's request, not a padded one
        self.refused_cheaply("/grpc.health.v1.Health/Check", field(1, b"x" * 2000), EXHAUSTED,
                             f"request: 2003 bytes, more than the {SMALL_REQUEST} this method "
                             "takes")

        # a string past its bound, and bytes that are not protobuf
        long_path = b"/" + b"p" * PATH_BYTES
        req = field(1, field(1, b"w") + field(2, field(2, cg)) +
                    field(3, field(1, self.tmp.path.encode()) + field(1, long_path)))
        self.refused_cheaply("/panoptes.v1.Agent/CreateWatch", req, INVALID,
                             "watch.subjects[0].paths[1]: 4096 bytes, at most 4095")
        self.refused_cheaply("/argus.Argusd/CreateWatch",
                             field(6, field(1, b"/a") + field(1, b"/b") + field(1, long_path)),
                             INVALID, "subject[0].path[2]: 4096 bytes, at most 4095")
        self.refused_cheaply("/panoptes.v1.Agent/CreateWatch", b"\x0a\x80", INVALID,
                             "watch: not protobuf: a length runs past the end of its message "
                             "at byte 1")
        self.refused_cheaply("/panoptes.v1.Agent/CreateWatch", field(1, _varint(1 << 3) + b"\x05"),
                             INVALID, "watch.name: wire type 0, expected 2")

        # nothing was installed, and the agent serves on
        self.assertEqual(api.list_watches(), [])
        self.assertEqual(api.serving(), api.H.HealthCheckResponse.SERVING)

    def test_names_are_not_cut_at_nul_and_argus_keys_are_unambiguous(self):
        api = self.start_agent()
        A = api.A
        cg = self.cg.path.encode()
        subj = self.sub().SerializeToString()
        # a native name with a NUL was cut to "w" before; now it is refused whole
        req = field(1, field(1, b"w\x00evil") + field(2, field(2, cg)) + field(3, subj))
        self.refused_cheaply("/panoptes.v1.Agent/CreateWatch", req, INVALID,
                             "watch.name: control byte 0x00 at byte 1")
        req = field(1, field(1, b"w") + field(2, field(2, cg + b"\x00/../x")) + field(3, subj))
        self.refused_cheaply("/panoptes.v1.Agent/CreateWatch", req, INVALID,
                             "watch.targets.cgroups[0]: control byte 0x00 at byte "
                             f"{len(cg)}")
        self.refused_cheaply("/panoptes.v1.Agent/DeleteWatch", field(1, b"argus/x\x00"), INVALID,
                             "name: control byte 0x00 at byte 7")

        # cids ["a,cid:b"] and ["a", "b"] made one key, argus/NODE/cid:a,cid:b
        a_sub = A.ArgusWatcherSubject(path=[self.tmp.path], event=["create"])
        self.assertRpcError(api.create_watch, A.ArgusdConfig(
            name="a", cid=["0123456789ab,cid:0123456789ac"], subject=[a_sub]), INVALID,
            "cid[0]: \"0123456789ab,cid:0123456789ac\": ',' is not allowed in a container id")
        self.assertRpcError(api.destroy_watch, A.ArgusdConfig(cid=["x,cid:y"]), INVALID,
                            "cid[0]: \"x,cid:y\": ',' is not allowed in a container id")
        self.assertRpcError(api.create_watch, A.ArgusdConfig(
            name="a", nodeName="n/pid:1", pid=[os.getpid()], subject=[a_sub]), INVALID,
            "nodeName: \"n/pid:1\": '/' is not allowed")

        # argus-controller's own calls still work: create by pid, destroy by the same key
        sleeper = self.add_sleeper()
        h = api.create_watch(A.ArgusdConfig(name="a", podName="p", pid=[sleeper.pid],
                                            subject=[a_sub]), timeout=10)
        self.assertEqual(list(h.pid), [sleeper.pid])
        self.assertEqual([w.watch.name for w in api.list_watches()], ["a"])
        api.destroy_watch(A.ArgusdConfig(nodeName=h.nodeName, pid=list(h.pid)), timeout=10)
        self.assertEqual(api.list_watches(), [])

    def test_requests_at_the_bounds_still_work(self):
        api = self.start_agent()
        A, N = api.A, api.N
        sleeper = self.add_sleeper()
        # 64 paths of 4095 bytes (components of 200), a name and pod of 253
        comp = "c" * 199
        paths = []
        for i in range(64):
            p = f"{self.tmp.path}/{i:02d}"
            while len(p) + 1 + len(comp) <= PATH_BYTES:
                p += "/" + comp
            p += "/" + "x" * (PATH_BYTES - len(p) - 1)
            self.assertEqual(len(p), PATH_BYTES)
            paths.append(p)
        name = "n" * NAME_BYTES
        w = N.Watch(name=name, pod="p" * NAME_BYTES, targets=N.Targets(cgroups=[self.cg.path]),
                    subjects=[N.Subject(paths=paths, events=[N.EventType.Value(
                        "EVENT_TYPE_CREATE")], tags={f"k{i}": "v" * 1024 for i in range(64)})])
        self.assertLessEqual(len(N.CreateWatchRequest(watch=w).SerializeToString()),
                             WATCH_REQUEST)
        info = api.n_create(N.CreateWatchRequest(watch=w), timeout=30)
        self.assertEqual(info.watch.name, name)
        self.assertEqual(len(info.watch.subjects[0].paths), 64)

        # argus: 64 subjects, and 200 pids (as many as fit its key; here one process)
        a_sub = A.ArgusWatcherSubject(path=[self.tmp.path], event=["create"])
        h = api.create_watch(A.ArgusdConfig(name="a" * NAME_BYTES, podName="p",
                                            pid=[sleeper.pid] * 200, subject=[a_sub] * 64),
                             timeout=30)
        self.assertEqual(set(h.pid), {sleeper.pid})
        self.assertRpcError(api.create_watch, A.ArgusdConfig(
            name="b", pid=[sleeper.pid] * 201, subject=[a_sub]), INVALID,
            "pid: more than 200 entries")
        self.assertRpcError(api.create_watch, A.ArgusdConfig(
            name="b", pid=[sleeper.pid], subject=[a_sub] * 65), INVALID,
            "subject: more than 64 entries")

        # and the watch reports: one event through it
        want = f"'{self.tmp.path}/ok'"
        self.cg.run([WORKLOAD, f"create:{self.tmp.path}/ok"])
        lines = self.agent.wait_for(lambda ls: any(want in l for l in ls))
        self.assertTrue(any(want in l for l in lines), lines[-5:])

    def test_list_watches_pages_stay_under_what_clients_accept(self):
        api = self.start_agent()
        N = api.N
        # 16 watches of ~256 KB each: 4 MB in all, more than a default client takes
        big = [self.tmp.path + "/" + "d" * 200 + f"/{i:02d}" + "/" + "x" * 3780
               for i in range(62)]
        names = [f"w{i:02d}" for i in range(16)]
        for n in names:
            api.n_create(N.CreateWatchRequest(watch=N.Watch(
                name=n, targets=N.Targets(cgroups=[self.cg.path]),
                subjects=[N.Subject(paths=big, events=[N.EventType.Value("EVENT_TYPE_CREATE")])])),
                timeout=30)
        # Python's default client (4 MiB receive) decodes each page; they come in key order
        got, token, pages = [], "", 0
        while True:
            r = api.n_list(N.ListWatchesRequest(page_token=token), timeout=30)
            self.assertLessEqual(r.ByteSize(), 3 << 20)
            got += [w.watch.name for w in r.watches]
            pages += 1
            token = r.next_page_token
            if not token:
                break
            self.assertEqual(token, got[-1])
        self.assertEqual(got, names)
        self.assertEqual(pages, 2)
        # page_size pages by count
        r = api.n_list(N.ListWatchesRequest(page_size=5), timeout=30)
        self.assertEqual(([w.watch.name for w in r.watches], r.next_page_token),
                         (names[:5], "w04"))
        r = api.n_list(N.ListWatchesRequest(page_size=5, page_token="w13"), timeout=30)
        self.assertEqual(([w.watch.name for w in r.watches], r.next_page_token),
                         (names[14:], ""))
        # panoptesctl follows the pages
        p = subprocess.run([PANOPTESCTL, "--server", self.agent.addr, "watch", "list",
                            "--output", "json"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([w["watch"]["name"] for w in json.loads(p.stdout)["watches"]], names)


if __name__ == "__main__":
    unittest.main()
