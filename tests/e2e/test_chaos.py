#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Faults and overload (issue 19), each with an exact ledger: container churn
watched by container ids and by a cgroup path over their parent (every
event carries its own container and cgroup; the registry and the kernel's map
of watched cgroups return to their baseline); cgroups removed while their
events are in flight (every record reported); the consumer stopped under load
(the ring buffer overflows: reported + dropped = caused); a stdout nobody
reads and a slow stream client beside a reading one; a memory limit around the
agent; the bpf filesystem of the pins unmounted under a running agent.

Short by default (what ctest and .ci/run run); PN_CHAOS_LONG=1 runs the
long form, whose figures are in docs/operations.md "Faults and overload".
PN_TRACE=1 prints each case's phases and timings."""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import pn_e2e
from pn_e2e import WORKLOAD, cgroup2_root
from pn_grpc import Api, GrpcCase, settle_all, trace
from runc_bundle import RuncContainer

LONG = os.environ.get("PN_CHAOS_LONG") == "1"
# short form / long form
CONTAINERS = 500 if LONG else 100    # case 1: runc containers, BATCH at a time
BATCH = 10
RMDIR_ROUNDS = 2000 if LONG else 200  # case 2: cgroups made, written in, removed
FILES_PER_CGROUP = 5
FLOOD = 200000 if LONG else 30000    # cases 3-5: creates while the reader is held
STOP_SECONDS = 5 if LONG else 2      # case 3: how long the consumer is stopped

MiB = 1 << 20


def ev_create(N):
    return [N.EventType.Value("EVENT_TYPE_CREATE")]


def creates(d, names):
    return [WORKLOAD] + [f"create:{d}/{n}" for n in names]


def flood(cg, d, names, chunk=4000):
    """One create per name in directory d, from processes in cg one after the other
    (a command line holds some thousands of steps)."""
    for i in range(0, len(names), chunk):
        cg.run([WORKLOAD, f"cd:{d}"] + [f"create:{n}" for n in names[i:i + chunk]])


def run_in(cg_path, argv):
    """argv inside the cgroup at cg_path, waited for (its records are all submitted
    when it returns)."""
    p = subprocess.run(argv, preexec_fn=pn_e2e.enter_cgroup(cg_path), capture_output=True,
                       timeout=120)
    if p.returncode:
        raise AssertionError(f"{argv[:3]}... failed ({p.returncode}): {p.stderr.decode()}")


def pn_programs():
    """Ids of the pn_ programs loaded on the node (every agent's)."""
    out = subprocess.run(["bpftool", "-j", "prog", "show"], check=True,
                         capture_output=True).stdout
    return sorted(p["id"] for p in json.loads(out) if p.get("name", "").startswith("pn_"))


def map_keys(pinned):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", pinned], check=True,
                         capture_output=True).stdout
    # -j gives the bytes, and with BTF the key as its type reads too ("formatted")
    return sorted(e["formatted"]["key"] if "formatted" in e else
                  int.from_bytes(bytes(int(b, 16) for b in e["key"]), "little")
                  for e in json.loads(out))


class Timed:
    """Each case says how long it took (PN_TRACE=1), for docs/operations.md."""

    def setUp(self):
        super().setUp()
        self.t0 = time.monotonic()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            trace(f"{self.id()}: {time.monotonic() - self.t0:.1f} s")


class ChaosCase(Timed, GrpcCase):
    cgroup_name = "chaos"

    def watch(self, name, targets, paths, events=None):
        N = self.api.N
        return self.api.n_create(N.CreateWatchRequest(watch=N.Watch(
            name=name, targets=targets,
            subjects=[N.Subject(paths=paths, events=events or ev_create(N))])), timeout=30)

    def ledger(self):
        """(kernel emitted, ring buffer drops, records, malformed, events written,
        events dropped) now."""
        c = self.agent.counters()
        return c

    def wait_quiet(self, key="records", quiet=0.5, timeout=60):
        """Until counters()[key] stops moving for `quiet` seconds; returns counters()."""
        deadline = time.monotonic() + timeout
        last = self.agent.counters()
        still = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.agent.counters()
            if now[key] != last[key]:
                last, still = now, time.monotonic()
            elif time.monotonic() - still >= quiet:
                return now
        raise AssertionError(f"{key} still moving after {timeout} s: {last}")


class ContainerChurn(ChaosCase):
    def test_churn_every_event_its_own_and_nothing_left_behind(self):
        pin = f"/sys/fs/bpf/panoptes-chaos-{os.getpid()}"
        api = self.start_agent("--pin-path", pin, output="json")
        N = api.N
        parent_rel = "/" + os.path.relpath(self.cg.path, cgroup2_root())
        self.watch("parent", N.Targets(cgroups=[self.cg.path]), ["/data"])
        base = api.status()
        base_keys = map_keys(f"{pin}/maps/pn_cgroups")
        self.assertEqual((base.watches, base.cgroups), (1, 1))
        self.assertEqual(base_keys, [os.stat(self.cg.path).st_ino])
        peak = 0
        ids, inos = [], {}
        for b in range(0, CONTAINERS, BATCH):
            batch = []
            try:
                for i in range(b, min(b + BATCH, CONTAINERS)):
                    name = f"churn{i:04d}"
                    c = RuncContainer(name, ["/bin/sh", "-c", f"echo x > /data/{name}-{os.getpid()}"],
                                      cgroup_parent=parent_rel)
                    batch.append(c)
                    c.create()
                    inos[c.id] = os.stat(os.path.join(self.cg.path, c.id)).st_ino
                    self.watch(c.id, N.Targets(containers=[f"runc://{c.id}"]), ["/data"])
                st = api.status()
                peak = max(peak, st.cgroups)
                # this batch's watches, and those of earlier ones not yet pruned
                self.assertGreaterEqual(st.watches, 1 + len(batch))
                for c in batch:
                    c.start()
                    ids.append(c.id)
                want = 2 * len(ids)  # the container's watch and the parent's
                self.agent.wait_for(lambda lines: len(lines) >= want, timeout=30)
            finally:
                for c in batch:
                    c.delete()
        trace(f"{CONTAINERS} containers run, {peak} cgroups at most")
        lines = self.agent.settle(quiet=0.5)
        by_watch = {}
        for e in lines:
            by_watch.setdefault(e["watch"], []).append(e)
        self.assertEqual(sorted(by_watch), sorted(ids + ["parent"]))
        for cid in ids:
            (own,) = by_watch[cid]
            self.assertEqual((own["event"], own["path"], own["container"], own["cgroup_id"]),
                             ("CREATE", f"/data/{cid}", f"runc://{cid}", inos[cid]))
        # the parent's watch saw every container once, each with its own cgroup
        seen = {e["path"][len("/data/"):]: e["cgroup_id"] for e in by_watch["parent"]}
        self.assertEqual(len(by_watch["parent"]), len(ids))
        self.assertEqual(seen, inos)

        # no leak: the containers' watches and cgroups leave the registry and the kernel
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            st = api.status()
            if (st.watches, st.cgroups) == (1, 1):
                break
            time.sleep(0.1)
        self.assertEqual((st.watches, st.cgroups), (1, 1))
        self.assertEqual(map_keys(f"{pin}/maps/pn_cgroups"), base_keys)
        m = self.agent.metrics()
        self.assertEqual((m["panoptes_watches"], m["panoptes_watched_cgroups"]), (1, 1))
        c = self.agent.counters()
        # (runc's setup inside each new cgroup creates files too: records outside /data)
        self.assertEqual((c["dropped"], c["malformed"], c["events_dropped"]), (0, 0, 0))
        self.assertEqual((c["records"], c["written"]), (c["emitted"], 2 * len(ids)))


class CgroupsRemoved(ChaosCase):
    def churn(self, round_, n, stop_agent):
        """n child cgroups of self.cg, each with a watch of its own; in each, a process
        creates FILES_PER_CGROUP files and the cgroup is removed as soon as it
        exits. stop_agent: the agent is stopped meanwhile, so that every record is
        still in the ring buffer when its cgroup is gone."""
        d = self.tmp.path
        kids = []
        for i in range(n):
            path = os.path.join(self.cg.path, f"r{round_}-{i:04d}")
            os.mkdir(path)
            kids.append(path)
            self.watch(os.path.basename(path), self.api.N.Targets(cgroups=[path]), [d])
        if stop_agent:
            self.agent.signal(signal.SIGSTOP)
        try:
            for path in kids:
                k = os.path.basename(path)
                run_in(path, creates(d, [f"{k}-{j}" for j in range(FILES_PER_CGROUP)]))
                os.rmdir(path)
            if stop_agent:
                # past the agent's 1 s housekeeping tick: it finds the cgroups gone
                # and the records waiting at the same wakeup
                time.sleep(1.5)
        finally:
            if stop_agent:
                self.agent.signal(signal.SIGCONT)
        return [os.path.basename(p) for p in kids]

    def test_every_record_of_a_removed_cgroup_is_reported(self):
        api = self.start_agent("--max-watches", "100000", output="json")
        self.watch("parent", api.N.Targets(cgroups=[self.cg.path]), [self.tmp.path])
        running = self.churn("a", RMDIR_ROUNDS, stop_agent=False)
        stopped = self.churn("b", RMDIR_ROUNDS // 4, stop_agent=True)
        kids = running + stopped
        caused = len(kids) * FILES_PER_CGROUP
        c = self.wait_quiet()
        lines = self.agent.settle(quiet=0.3)
        trace(f"{len(kids)} cgroups removed, {caused} creates, counters {c}")
        # the kernel's ledger and the consumer's agree, and nothing was dropped
        self.assertEqual((c["emitted"], c["dropped"], c["records"], c["malformed"]),
                         (caused, 0, caused, 0))
        # every record reached every watch that covered it: its cgroup's own and the parent's
        by_watch = {}
        for e in lines:
            by_watch.setdefault(e["watch"], []).append(os.path.basename(e["path"]))
        self.assertEqual(sorted(by_watch["parent"]),
                         sorted(f"{k}-{j}" for k in kids for j in range(FILES_PER_CGROUP)))
        lost = {k: FILES_PER_CGROUP - len(by_watch.get(k, [])) for k in kids}
        self.assertEqual({k: n for k, n in lost.items() if n}, {})
        self.assertEqual((c["written"], c["events_dropped"]), (2 * caused, 0))
        # and the removed cgroups are gone from the registry
        deadline = time.monotonic() + 5
        while api.status().watches != 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        st = api.status()
        self.assertEqual((st.watches, st.cgroups), (1, 1))


class ConsumerStopped(ChaosCase):
    def test_stopped_consumer_overflows_and_every_record_is_counted(self):
        api = self.start_agent("--ringbuf-mb", "1", output="json")
        d = self.tmp.path
        self.watch("w", api.N.Targets(cgroups=[self.cg.path]), [d])
        names = [f"{i:06d}" for i in range(FLOOD)]
        self.agent.signal(signal.SIGSTOP)
        t0 = time.monotonic()
        try:
            flood(self.cg, d, names)
            time.sleep(max(0, STOP_SECONDS - (time.monotonic() - t0)))
        finally:
            self.agent.signal(signal.SIGCONT)
        c = self.wait_quiet()
        lines = self.agent.settle(quiet=0.3)
        trace(f"stopped {time.monotonic() - t0:.1f} s, counters {c}")
        self.assertGreater(c["dropped"], 0, "the ring buffer did not overflow")
        self.assertGreater(c["emitted"], 0)
        self.assertEqual(c["emitted"] + c["dropped"], FLOOD)
        self.assertEqual((c["records"], c["malformed"], c["written"], c["events_dropped"]),
                         (c["emitted"], 0, c["emitted"], 0))
        got = [os.path.basename(e["path"]) for e in lines]
        self.assertEqual(len(got), c["emitted"])
        # what was kept is the oldest, in order (the ring buffer refuses the newest)
        self.assertEqual(got, names[:len(got)])
        # and it reports again
        self.cg.run(creates(d, ["after"]))
        self.agent.wait_for(lambda l: len(l) > len(got), timeout=10)
        self.assertEqual(os.path.basename(self.agent.settle(quiet=0.3)[-1]["path"]), "after")
        self.assertEqual(self.agent.counters()["dropped"], c["dropped"])


class StuckOutputs(ChaosCase):
    def test_blocked_stdout_and_slow_stream_beside_a_reading_one(self):
        # a stream queue larger than what the ring buffer holds (8191 records of a
        # create here): the reading stream takes the burst that follows the stall
        # whole; the paced workload after it takes the stalled one past its queue
        queue = 9000
        api = self.start_agent("--ringbuf-mb", "1", "--stream-queue", str(queue),
                               "--stream-cut-seconds", "0", output="json")
        N, d = api.N, self.tmp.path
        self.watch("w", N.Targets(cgroups=[self.cg.path]), [d])
        live = self.reader(api.stream_events(N.StreamEventsRequest(), timeout=300))
        # a client that stops reading (its own connection, no BDP probing: HTTP/2
        # holds little for it), and reads again at the end
        slow = Api(self.channel(options=[("grpc.http2.bdp_probe", 0)])).stream_events(
            N.StreamEventsRequest(), timeout=300)
        api.wait_streams(2)
        names = [f"{i:06d}" for i in range(FLOOD)]
        self.agent.pause_stdout()
        t0 = time.monotonic()
        flood(self.cg, d, names)
        stuck = self.wait_quiet()
        settle_all([live], quiet=0.3)
        # the consumer is held in write(): the reading stream has everything it matched
        self.assertLess(stuck["written"], FLOOD)
        self.assertEqual(len(live.items), stuck["written"])
        # the API answers meanwhile
        self.assertEqual(api.status().streams, 2)
        trace(f"stdout stuck at {stuck['written']} after {time.monotonic() - t0:.1f} s")
        self.agent.resume_stdout()
        self.wait_quiet()
        # then a paced workload the reading stream keeps up with, past the stalled
        # stream's queue
        paced = [f"p{i:05d}" for i in range(3000)]
        steps = [WORKLOAD]
        for i, n in enumerate(paced):
            steps.append(f"create:{d}/{n}")
            if i % 50 == 49:
                steps.append("sleep:20")
        self.cg.run(steps)
        c = self.wait_quiet()
        lines = self.agent.settle(quiet=0.3)
        settle_all([live], quiet=0.3, timeout=60)
        st = api.status()
        back = self.reader(slow)
        settle_all([back], quiet=1.0, timeout=60)
        trace(f"counters {c}, stalled stream got {len(back.items)}, drops {st.stream_drops}")
        # the kernel's ledger
        self.assertGreater(c["dropped"], 0, "the ring buffer did not overflow")
        self.assertEqual(c["emitted"] + c["dropped"], FLOOD + len(paced))
        self.assertEqual((c["records"], c["written"], c["events_dropped"]),
                         (c["emitted"], c["emitted"], 0))
        out = set(os.path.basename(e["path"]) for e in lines)
        kept = [n for n in names + paced if n in out]
        self.assertEqual(kept[-len(paced):], paced)  # nothing lost once it drained
        # stdout and the reading stream: every event the agent matched, in order
        self.assertEqual([os.path.basename(e["path"]) for e in lines], kept)
        self.assertEqual([os.path.basename(e.path) for e in live.items], kept)
        # the stalled stream kept its queue's worth, the oldest; the rest is counted
        got = [os.path.basename(e.path) for e in back.items]
        self.assertEqual(got, kept[:len(got)])
        self.assertEqual(st.stream_drops, len(kept) - len(got))
        self.assertGreater(st.stream_drops, 0)
        st = api.status()
        self.assertEqual((st.stream_cuts, st.stream_queue_bytes), (0, 0))
        self.assertEqual([r.error for r in (live, back) if r.done.is_set()], [])


V1_MEMORY = "/sys/fs/cgroup/memory"


class MemoryLimit(ChaosCase):
    """cgroup v2 here has no memory controller (only hugetlb): the v1 one is used."""

    def setUp(self):
        super().setUp()
        if not os.path.exists(os.path.join(V1_MEMORY, "memory.limit_in_bytes")):
            raise unittest.SkipTest("no cgroup v1 memory controller at " + V1_MEMORY)
        self.mem = os.path.join(V1_MEMORY, f"panoptes-chaos-{os.getpid()}")
        os.makedirs(self.mem, exist_ok=True)
        self.wrapper = os.path.join(self.tmp.path, "in-memcg")
        with open(self.wrapper, "w") as f:
            f.write(f'#!/bin/sh\necho $$ > {self.mem}/cgroup.procs && exec {pn_e2e.PANOPTESD} "$@"\n')
        os.chmod(self.wrapper, 0o755)

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            for _ in range(50):
                try:
                    os.rmdir(self.mem)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)

    def mem_value(self, name):
        with open(os.path.join(self.mem, name)) as f:
            return f.read()

    def test_agent_under_a_memory_limit_degrades_and_counts(self):
        # what the agent needs under this load with its queues full (33 MiB measured)
        # and some room; the queue bound well inside it
        limit = int(os.environ.get("PN_CHAOS_MEM_MB", "48")) * MiB
        queue_total = int(os.environ.get("PN_CHAOS_MEM_QUEUE_MB", "16")) * MiB
        with open(os.path.join(self.mem, "memory.limit_in_bytes"), "w") as f:
            f.write(str(limit))
        real, pn_e2e.PANOPTESD = pn_e2e.PANOPTESD, self.wrapper
        try:
            api = self.start_agent("--streams-queue-total-bytes", str(queue_total),
                                   "--stream-cut-seconds", "0", output="json")
        finally:
            pn_e2e.PANOPTESD = real
        N, d = api.N, self.tmp.path
        with open(os.path.join(self.mem, "cgroup.procs")) as f:
            self.assertEqual([int(p) for p in f.read().split()], [self.agent.proc.pid])
        start = int(self.mem_value("memory.usage_in_bytes"))
        self.watch("w", N.Targets(cgroups=[self.cg.path]), [d])
        # streams that never read hold the queues at their bound
        stalled = [Api(self.channel(options=[("grpc.http2.bdp_probe", 0)])).stream_events_raw(
            N.StreamEventsRequest()) for _ in range(8)]
        api.wait_streams(8)
        names = [f"{i:06d}-" + "x" * 150 for i in range(FLOOD)]
        flood(self.cg, d, names)
        c = self.wait_quiet()
        self.agent.settle(quiet=0.3)
        st = api.status()
        peak = int(self.mem_value("memory.max_usage_in_bytes"))
        oom = dict(l.split() for l in self.mem_value("memory.oom_control").splitlines())
        trace(f"memcg: {start / MiB:.1f} MiB at start, {peak / MiB:.1f} MiB peak "
              f"(limit {limit / MiB:.0f}), failcnt {self.mem_value('memory.failcnt').strip()}, "
              f"oom {oom}, counters {c}, stream drops {st.stream_drops}, "
              f"queued {st.stream_queue_bytes}")
        self.assertIsNone(self.agent.proc.poll(), "the agent died under its memory limit")
        self.assertEqual(int(oom.get("oom_kill", 0)), 0)
        self.assertLessEqual(peak, limit)
        self.assertEqual(c["emitted"] + c["dropped"], FLOOD)
        self.assertEqual((c["records"], c["written"], c["events_dropped"]),
                         (c["emitted"], c["emitted"], 0))
        # the stalled streams lost what did not fit their bound, counted
        self.assertLessEqual(st.stream_queue_bytes, queue_total)
        self.assertGreater(st.stream_drops, 0)
        for call in stalled:
            call.cancel()

    def test_a_limit_below_the_kernel_maps_refuses_the_start(self):
        """The BPF maps are charged to the agent's memory cgroup when it creates them:
        under a limit they do not fit in, the load fails, said as such, before
        anything is attached."""
        with open(os.path.join(self.mem, "memory.limit_in_bytes"), "w") as f:
            f.write(str(20 * MiB))
        p = subprocess.run([self.wrapper, "--pin-path", "", "--listen", "", "--socket", "",
                            "--metrics-listen", "", "--watch-cgroup", self.cg.path,
                            "--path", self.tmp.path],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("panoptesd: error: the kernel refused the BPF programs: Cannot allocate "
                      "memory", p.stderr)
        self.assertIn("nothing was started", p.stderr)


class BpffsGone(ChaosCase):
    def test_pins_unmounted_under_a_running_agent(self):
        mnt = tempfile.mkdtemp(prefix="pn-chaos-bpffs-", dir="/tmp")
        subprocess.run(["mount", "-t", "bpf", "bpf", mnt], check=True)
        mounted = True
        try:
            before = pn_programs()
            api = self.start_agent("--pin-path", f"{mnt}/panoptes", output="json")
            d = self.tmp.path
            self.watch("w", api.N.Targets(cgroups=[self.cg.path]), [d])
            self.assertIn("pn_cgroups", os.listdir(f"{mnt}/panoptes/maps"))
            self.cg.run(creates(d, ["before"]))
            self.agent.wait_for(lambda l: len(l) >= 1)
            # the agent holds its pin directory open: only a lazy unmount takes it away
            subprocess.run(["umount", "-l", mnt], check=True)
            mounted = False
            self.assertEqual(os.listdir(mnt), [])
            self.cg.run(creates(d, ["after"]))
            lines = self.agent.wait_for(lambda l: len(l) >= 2)
            self.assertEqual([os.path.basename(e["path"]) for e in lines], ["before", "after"])
            self.assertEqual(api.status().watches, 1)
            code, err = self.agent.stop()
            self.agent = None
            self.assertEqual(code, 0, err)
            self.assertIn(f"--pin-path {mnt}/panoptes: the directory pinned into is no longer "
                          "there", err)
            # nothing of it stays loaded: no pinned link holds a hook in the detached mount
            # (a program goes when its last reference does, which the kernel may finish
            # a moment after the agent's exit)
            deadline = time.monotonic() + 5
            while pn_programs() != before and time.monotonic() < deadline:
                time.sleep(0.1)
            left = subprocess.run(["bpftool", "prog", "show"], capture_output=True, text=True)
            self.assertEqual(pn_programs(), before, left.stdout)
        finally:
            if mounted:
                subprocess.run(["umount", "-l", mnt])
            os.rmdir(mnt)


if __name__ == "__main__":
    unittest.main(verbosity=2)
