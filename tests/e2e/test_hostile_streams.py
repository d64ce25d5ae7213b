#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hostile stream clients (issue 14, "Memory" and "CPU"), through Debian's
python3-grpcio: StreamEvents streams that never read cost the agent no more
than their queue bound in bytes (VmRSS measured), lose events counted
exactly, and are cut with RESOURCE_EXHAUSTED saying why, while a reading
stream beside them gets every event; open streams are bounded per client and
in total with the bound and its flag named; a StreamEvents filter of 1025
watch names is refused, one of 1024 is a hash lookup that delivers exactly
what it names."""
import os
import time
import unittest

import grpc

from pn_e2e import WORKLOAD
from pn_grpc import Api, GrpcCase, channel, settle_all, trace

# ASan keeps freed blocks in a quarantine (256 MiB by default), which would
# show as agent RSS that no stream holds: keep it small in the agents started
# here, so VmRSS measures what the agent holds. Set before any agent starts.
if "quarantine_size_mb" not in os.environ.get("ASAN_OPTIONS", ""):
    os.environ["ASAN_OPTIONS"] = ":".join(
        o for o in (os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=4") if o)

KiB, MiB = 1 << 10, 1 << 20
# --stream-queue-bytes: also the reading stream's room, some 80 messages, so
# that a test client the machine slows for a moment loses nothing
PER_STREAM = 2 * MiB
TOTAL = 16 * MiB         # --streams-queue-total-bytes: above N_STALLED * PER_STREAM
N_STALLED = 4            # streams that never read, each on its own connection
N_FILES = 3000           # one CREATE each
BURST, PAUSE_MS = 10, 30  # the workload's pace: the reading stream keeps up
# Files of long names, each event's line 120 of them: a message of some
# 25 KB. The streams share one serialization of each event, so without a
# byte bound the stalled streams would hold N_FILES * that.
FMT = " ".join(["{file}"] * 120)
LONG = "x" * 200
# Beyond its queue a stalled stream costs the transport: its call, and what
# HTTP/2 holds for it (a 64 KiB window without BDP probing, a message
# serialized into the write buffer). A generous bound for that, and one for
# the allocator's and the sanitizer's slack, which do not grow with events.
PER_STREAM_TRANSPORT = 512 * KiB
SLACK = 8 * MiB

EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED
INVALID = grpc.StatusCode.INVALID_ARGUMENT


def vm_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * KiB
    raise AssertionError(f"/proc/{pid}/status has no VmRSS")


def paced_creates(d, names):
    steps = []
    for i, n in enumerate(names):
        steps.append(f"create:{d}/{n}")
        if i % BURST == BURST - 1:
            steps.append(f"sleep:{PAUSE_MS}")
    return steps


class StreamCase(GrpcCase):
    cgroup_name = "hostile-streams"

    def watch(self, name, fmt=""):
        N = self.api.N
        self.api.n_create(N.CreateWatchRequest(watch=N.Watch(
            name=name, log_format=fmt, targets=N.Targets(cgroups=[self.cg.path]),
            subjects=[N.Subject(paths=[self.tmp.path],
                                events=[N.EventType.Value("EVENT_TYPE_CREATE")])])),
            timeout=10)

    def stalled_call(self, req):
        """A StreamEvents call on a connection of its own that nobody reads: no BDP
        probing, so HTTP/2 holds at most its initial window for it."""
        api = Api(self.channel(options=[("grpc.http2.bdp_probe", 0)]))
        return api.stream_events_raw(req)

    def event_paths(self, reader):
        N = self.api.N
        return [N.Event.FromString(b).path for b in reader.items]


class SlowStreams(StreamCase):
    def test_stalled_streams_cost_their_bound_and_lose_counted_events(self):
        api = self.start_agent("--stream-queue", "1000000",  # bytes bind, not messages
                               "--stream-queue-bytes", str(PER_STREAM),
                               "--streams-queue-total-bytes", str(TOTAL),
                               "--stream-cut-seconds", "0")
        N, d = api.N, self.tmp.path
        self.watch("big", FMT)
        live = self.reader(api.stream_events_raw(N.StreamEventsRequest(), timeout=120))
        stalled = [self.stalled_call(N.StreamEventsRequest()) for _ in range(N_STALLED)]
        api.wait_streams(N_STALLED + 1)
        pid = self.agent.proc.pid
        rss0 = vm_rss(pid)

        names = [f"f{i:05d}{LONG}" for i in range(N_FILES)]
        trace("workload starts")
        self.cg.run([WORKLOAD] + paced_creates(d, names))
        want = [f"{d}/{n}" for n in names]
        live.wait_count(N_FILES, timeout=60)
        settle_all([live], quiet=0.3)
        rss1 = vm_rss(pid)
        st = api.status()
        msg_bytes = len(live.items[0])
        trace(f"rss +{(rss1 - rss0) / MiB:.1f} MiB, message {msg_bytes} B, "
              f"queued {st.stream_queue_bytes} B, drops {st.stream_drops}")

        # the reading stream got every event, in order; the kernel lost none
        self.assertEqual(self.event_paths(live), want)
        self.assertEqual(st.kernel.dropped, 0)
        self.assertEqual(st.events, N_FILES)
        # what the stalled streams hold is their bound; the reading one holds nothing
        self.assertLessEqual(st.stream_queue_bytes, N_STALLED * PER_STREAM)
        self.assertGreater(st.stream_queue_bytes, N_STALLED * (PER_STREAM - 2 * msg_bytes))
        # Without the byte bound the stalled streams would queue every message:
        unbounded = N_FILES * msg_bytes
        bound = N_STALLED * (PER_STREAM + PER_STREAM_TRANSPORT) + SLACK
        self.assertGreater(unbounded, 3 * bound, "the workload would not tell the bound apart")
        self.assertLess(rss1 - rss0, bound,
                        f"agent RSS grew {(rss1 - rss0) / MiB:.1f} MiB with {N_STALLED} "
                        f"stalled streams of {PER_STREAM} B (unbounded: {unbounded / MiB:.0f} "
                        f"MiB)")

        # the stalled streams read now: each gets what it kept, in order, and the rest
        # is exactly what the agent counted as dropped (the reading stream lost nothing)
        readers = [self.reader(c) for c in stalled]
        settle_all(readers, quiet=1.0, timeout=60)
        got = [self.event_paths(r) for r in readers]
        for g in got:
            self.assertGreater(len(g), 0)
            self.assertLess(len(g), N_FILES)
            self.assertEqual(g, [p for p in want if p in set(g)], "out of order")
        st = api.status()
        self.assertEqual(st.stream_drops, N_STALLED * N_FILES - sum(len(g) for g in got))
        self.assertEqual(self.agent.metrics()["panoptes_grpc_stream_drops_total"],
                         st.stream_drops)
        self.assertEqual(st.stream_cuts, 0)  # --stream-cut-seconds 0: never
        self.assertEqual(st.stream_queue_bytes, 0)  # everything queued was taken
        self.assertEqual([r.error for r in readers + [live] if r.done.is_set()], [])

    def test_a_stream_that_reads_nothing_is_cut(self):
        api = self.start_agent("--stream-queue-bytes", str(PER_STREAM),
                               "--stream-cut-seconds", "2")
        N, d = api.N, self.tmp.path
        self.watch("big", FMT)
        live = self.reader(api.stream_events_raw(N.StreamEventsRequest(), timeout=120))
        dead = self.stalled_call(N.StreamEventsRequest(watches=["big"]))
        api.wait_streams(2)
        # enough to fill the dead stream's queue, then its first drop starts the clock ...
        first = [f"a{i:04d}{LONG}" for i in range(300)]
        self.cg.run([WORKLOAD] + paced_creates(d, first))
        live.wait_count(len(first), timeout=30)
        self.assertGreater(api.status().stream_drops, 0)
        self.assertEqual(api.status().stream_cuts, 0)
        # ... and a drop 2 s later cuts it; the reading stream is not touched
        time.sleep(2.5)
        late = [f"b{i:04d}{LONG}" for i in range(20)]
        self.cg.run([WORKLOAD] + paced_creates(d, late))
        deadline = time.monotonic() + 10
        while api.status().stream_cuts != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(api.status().stream_cuts, 1, "\n".join(self.agent.stderr_lines[-5:]))
        api.wait_streams(1)
        # the client, reading at last, gets what its connection already held, then why
        back = self.reader(dead)
        self.assertTrue(back.done.wait(10), "the cut stream did not end for its client")
        self.assertEqual([p for p in self.event_paths(back) if not p.startswith(f"{d}/a")], [])
        self.assertLess(len(back.items), len(first))
        self.assertEqual(back.error.code(), EXHAUSTED, back.error.details())
        self.assertRegex(back.error.details(),
                         r"^stream cut: the client took no message for 2 s while its queue "
                         rf"was full \({PER_STREAM} bytes, --stream-queue-bytes\); "
                         r"[1-9][0-9]* messages dropped$")
        dropped = int(back.error.details().rsplit(" ", 3)[1])
        live.wait_count(len(first) + len(late), timeout=30)
        settle_all([live], quiet=0.3)
        self.assertEqual(self.event_paths(live), [f"{d}/{n}" for n in first + late])
        st = api.status()
        self.assertEqual(st.stream_cuts, 1)
        # the dead stream lost only what its message names; the reading one nothing
        self.assertEqual(st.stream_drops, dropped)
        self.assertEqual(st.stream_queue_bytes, 0)  # what the cut stream held is freed
        m = self.agent.metrics()
        self.assertEqual(m["panoptes_grpc_streams_cut_total"], 1)
        self.assertEqual(m["panoptes_grpc_stream_queue_bytes"], 0)
        self.assertFalse(live.done.is_set(), live.error)


class OpenStreams(StreamCase):
    def test_open_streams_bounded_per_client_and_in_total(self):
        api = self.start_agent("--max-streams-per-client", "3", "--max-streams", "5")
        H = api.H
        req = H.HealthCheckRequest()
        tcp = [self.reader(api.health_watch(req, timeout=60)) for _ in range(3)]
        for r in tcp:
            r.wait_count(1)
        # the loopback client (its address, whatever the connection) is at its bound
        other_conn = Api(self.channel())
        self.assertStreamRefused(other_conn.health_watch(req, timeout=10),
                                 "open streams: ipv4:127.0.0.1 has 3 open, "
                                 "the most --max-streams-per-client allows")
        # the unix socket is another client: two more reach the total
        sock = Api(channel(self.agent.socket_addr))
        self.channels.append(sock.ch)
        local = [self.reader(sock.stream_events(api.N.StreamEventsRequest(), timeout=60))
                 for _ in range(2)]
        api.wait_streams(5)
        self.assertStreamRefused(sock.record_metrics(api.A.Empty(), timeout=10),
                                 "open streams: 5 are open, the most --max-streams allows")
        # every server-streaming method counts, GetWatchState too
        self.assertStreamRefused(sock.get_watch_state_call(api.A.Empty(), timeout=10),
                                 "open streams: 5 are open, the most --max-streams allows")
        # a stream that ends gives its place back
        tcp[0].cancel()
        api.wait_streams(4)
        again = self.reader(other_conn.health_watch(req, timeout=60))
        self.assertEqual(len(again.wait_count(1)), 1)
        self.assertEqual(api.status().streams_refused, 3)
        self.assertEqual(self.agent.metrics()["panoptes_grpc_streams_refused_total"], 3)
        self.assertEqual([r.error for r in tcp[1:] + local + [again] if r.done.is_set()], [])
        self.assertTrue(any("--max-streams-per-client" in l for l in self.agent.stderr_lines))

    def assertStreamRefused(self, call, details):
        with self.assertRaises(grpc.RpcError) as cm:
            next(call)
        self.assertEqual(cm.exception.code(), EXHAUSTED, cm.exception.details())
        self.assertEqual(cm.exception.details(), details)


class Filters(StreamCase):
    def test_filter_names_bounded_and_looked_up(self):
        api = self.start_agent()
        N, d = api.N, self.tmp.path
        self.watch("real")
        others = [f"other-{i:04d}" for i in range(1024)]
        e = None
        try:
            next(api.stream_events(N.StreamEventsRequest(watches=others + ["real"]), timeout=10))
        except grpc.RpcError as err:
            e = err
        self.assertIsNotNone(e, "a filter of 1025 names was accepted")
        self.assertEqual(e.code(), INVALID, e.details())
        self.assertEqual(e.details(), "watches: more than 1024 entries")
        # 1024 names, the real one last, some given twice: every event; 1024 others: none
        names = others[:1020] + others[:3] + ["real"]
        self.assertEqual(len(names), 1024)
        hit = self.reader(api.stream_events_raw(N.StreamEventsRequest(watches=names),
                                                timeout=60))
        miss = self.reader(api.stream_events_raw(N.StreamEventsRequest(watches=others),
                                                 timeout=60))
        api.wait_streams(2)
        files = [f"g{i:03d}" for i in range(200)]
        self.cg.run([WORKLOAD] + [f"create:{d}/{n}" for n in files])
        hit.wait_count(len(files), timeout=30)
        settle_all([hit, miss], quiet=0.5)
        self.assertEqual(self.event_paths(hit), [f"{d}/{n}" for n in files])
        self.assertEqual(miss.items, [])
        self.assertEqual(api.status().stream_drops, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
