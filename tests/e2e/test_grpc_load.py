#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Many clients at once through Debian's python3-grpcio: 100 event streams
(StreamEvents and RecordMetrics) and concurrent watch calls without an error;
a client that opens a stream and never reads loses messages (counted in
stream_drops) while every other stream still gets every event."""
import threading
import time
import unittest

import grpc

from pn_e2e import WORKLOAD
from pn_grpc import NODE, Api, GrpcAgent, GrpcCase, StreamReader, settle_all, trace

N_FILES = 2000          # one CREATE each
BURST = 10              # files between two pauses of the workload
PAUSE_MS = 25           # (the Python clients, not the agent, set the pace)
N_EVENT_STREAMS = 80
N_METRIC_STREAMS = 20
N_CALL_THREADS = 50
N_CHURN_THREADS = 10
QUEUE = 64


class Load(GrpcCase):
    cgroup_name = "grpc-load"

    def setUp(self):
        super().setUp()
        self.sleeper = self.add_sleeper()

    def test_many_streams_calls_and_a_slow_reader(self):
        # one client (loopback) with 101 streams and up to 50 GetWatchState calls (streams
        # too) at once, and a stream that reads nothing for longer than the default cut:
        # this test is about drops, not stream bounds (test_hostile_streams.py has those)
        self.agent = GrpcAgent(["--stream-queue", str(QUEUE), "--max-streams", "1024",
                                "--max-streams-per-client", "1024", "--stream-cut-seconds", "0"],
                               output="json")
        api = Api(self.channel())
        A, N = api.A, api.N
        d = self.tmp.path
        h = api.create_watch(A.ArgusdConfig(
            name="load", podName="pod-load", pid=[self.sleeper.pid],
            subject=[A.ArgusWatcherSubject(path=[d], event=["create"])]), timeout=10)
        self.assertEqual(list(h.pid), [self.sleeper.pid])

        # the fast streams, spread over a few channels (connections), counted as raw bytes
        fast_apis = [Api(self.channel()) for _ in range(4)]
        events, metrics = [], []
        for i in range(N_EVENT_STREAMS):
            a = fast_apis[i % len(fast_apis)]
            call = (a.stream_events if i == 0 else a.stream_events_raw)(N.StreamEventsRequest())
            events.append(StreamReader(call))
        for i in range(N_METRIC_STREAMS):
            a = fast_apis[i % len(fast_apis)]
            metrics.append(StreamReader(a.record_metrics(A.Empty())))
        self.readers += events + metrics
        # the slow reader: its own connection, no flow-control window growth, never read
        slow_api = Api(self.channel(options=[("grpc.http2.bdp_probe", 0)]))
        slow_call = slow_api.stream_events(N.StreamEventsRequest())
        trace("streams opened")
        api.wait_streams(N_EVENT_STREAMS + N_METRIC_STREAMS + 1, timeout=30)

        # concurrent unary calls, and watches made and removed, while events flow
        failures = []

        def calls():
            try:
                for _ in range(3):
                    names = [w.watch.name for w in api.list_watches()]
                    if "load" not in names:
                        failures.append(f"ListWatches without 'load': {names}")
                    state = api.watch_state()
                    if not any(s.podName == "pod-load" and list(s.pid) == [self.sleeper.pid]
                               for s in state):
                        failures.append(f"GetWatchState without the load watch: {state}")
                    if api.status().backend != "syscalls":
                        failures.append("GetStatus: wrong backend")
            except grpc.RpcError as e:
                failures.append(f"{e.code()}: {e.details()}")

        def churn(i):
            try:
                w = N.Watch(name=f"churn-{i}", targets=N.Targets(cgroups=[self.cg.path]),
                            subjects=[N.Subject(paths=[f"{d}/none-{i}"],
                                                events=[N.EventType.Value("EVENT_TYPE_ALL")])])
                for _ in range(3):
                    api.n_create(N.CreateWatchRequest(watch=w), timeout=20)
                    api.n_delete(N.DeleteWatchRequest(name=f"churn-{i}"), timeout=20)
            except grpc.RpcError as e:
                failures.append(f"churn-{i}: {e.code()}: {e.details()}")

        threads = [threading.Thread(target=calls) for _ in range(N_CALL_THREADS)]
        threads += [threading.Thread(target=churn, args=(i,)) for i in range(N_CHURN_THREADS)]

        steps = []
        for i in range(N_FILES):
            steps.append(f"create:{d}/f{i:05d}")
            if i % BURST == BURST - 1:
                steps.append(f"sleep:{PAUSE_MS}")
        trace("workload starts")
        t0 = time.monotonic()
        for t in threads:
            t.start()
        self.cg.run([WORKLOAD] + steps)
        trace("workload done")
        for t in threads:
            t.join(timeout=60)
        trace("calls done")
        self.assertEqual(failures, [])

        deadline = t0 + 45
        for r in events + metrics:
            r.wait_count(N_FILES, timeout=max(0.1, deadline - time.monotonic()))
        trace("fast streams counted", sorted(len(r.items) for r in events + metrics))
        trace("status", api.status())
        settle_all(events + metrics, quiet=0.3)
        # every fast stream got every event, and nothing else; none ended
        self.assertEqual([len(r.items) for r in events], [N_FILES] * N_EVENT_STREAMS)
        self.assertEqual([len(r.items) for r in metrics], [N_FILES] * N_METRIC_STREAMS)
        self.assertEqual([r.error for r in events + metrics if r.done.is_set()], [])
        self.assertEqual([e.path for e in events[0].items],
                         [f"{d}/f{i:05d}" for i in range(N_FILES)])
        self.assertTrue(all(e.watch == "load" and e.node == NODE for e in events[0].items))
        wire = events[0].items[5].SerializeToString()
        self.assertTrue(all(r.items[5] == wire for r in events[1:]))
        self.assertTrue(all((m.argusWatcher, m.event, m.nodeName) == ("load", "create", NODE)
                            for r in metrics for m in r.items))
        self.assertEqual(len(self.agent.settle()), N_FILES)

        # the slow reader lost messages, and only it did: drops account for its gap
        trace("fast streams checked")
        slow = StreamReader(slow_call)
        self.readers.append(slow)
        slow.settle(quiet=1.0, timeout=30)
        self.assertFalse(slow.done.is_set(), slow.error)
        got = [e.path for e in slow.items]
        self.assertLess(len(got), N_FILES)
        self.assertGreater(len(got), 0)
        self.assertEqual(got, sorted(set(got)), "the slow stream's messages are out of order")
        st = api.status()
        self.assertGreater(st.stream_drops, 0)
        self.assertEqual(st.stream_drops, N_FILES - len(got))
        self.assertEqual(st.events, N_FILES)
        self.assertEqual(st.watches, 1)
        self.assertEqual(st.streams, N_EVENT_STREAMS + N_METRIC_STREAMS + 1)
        self.assertEqual(st.kernel.dropped, 0)

        for r in self.readers:
            r.cancel()
        api.wait_streams(0, timeout=20)
        self.assertEqual(api.serving(), api.H.HealthCheckResponse.SERVING)
        self.agent.stop_clean()


if __name__ == "__main__":
    unittest.main(verbosity=2)
