#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Restarts without a blind window (docs/operations.md "Restarts and
upgrades"): an agent that stops with --keep-on-exit, or is killed, leaves its
programs pinned and capturing; the next agent on the same pins adopts them
and reports, once and in order, what happened while none ran, with the
watches created over gRPC restored from --state-dir. What overflowed is
counted by the kernel, and reported + dropped = caused."""
import os
import re
import shutil
import signal
import tempfile
import unittest

from pn_e2e import WORKLOAD, AgentCase, programs_named, run_cli
from pn_grpc import Api, GrpcAgent, Sleeper, channel

PIN = f"/sys/fs/bpf/panoptes-e2e-restart-{os.getpid()}"
N_FILES = 10000


def hook_of(agent):
    """One program that is always loaded with this agent's backend, for counting hooks."""
    return "pn_sys_exit" if agent.backend == "syscalls" else "pn_end_open"


class Restart(AgentCase):
    cgroup_name = "restart"

    def setUp(self):
        super().setUp()
        self.state = tempfile.mkdtemp(prefix="pn-restart-state-", dir="/tmp")
        self.d = os.path.join(self.tmp.path, "w")
        os.mkdir(self.d)
        self.apis = []

    def tearDown(self):
        for ch in self.apis:
            ch.close()
        super().tearDown()
        if os.path.exists(PIN):
            run_cli(["--remove-pins", "--pin-path", PIN, "--state-dir", ""])
        shutil.rmtree(self.state, ignore_errors=True)

    def start(self, *extra, ringbuf_mb=4, cgroup_roots=("/panoptes-e2e",)):
        self.agent = GrpcAgent(["--pin-path", PIN, "--state-dir", self.state,
                                "--ringbuf-mb", str(ringbuf_mb)] + list(extra), output="json",
                               cgroup_roots=cgroup_roots)
        ch = channel(self.agent.addr)
        self.apis.append(ch)
        self.api = Api(ch)
        self.hook = hook_of(self.agent)
        return self.agent

    def create_watch(self):
        N = self.api.N
        ev = N.EventType.Value("EVENT_TYPE_CREATE")
        self.api.n_create(N.CreateWatchRequest(watch=N.Watch(
            name="kept", targets=N.Targets(cgroups=[self.cg.path]), pod="pod-r",
            subjects=[N.Subject(paths=[self.d], events=[ev], tags={"k": "v"})])), timeout=10)

    def create_argus_watch(self, pid):
        A = self.api.A
        self.api.create_watch(A.ArgusdConfig(
            name="argus-kept", nodeName="node-e2e", podName="pod-a", pid=[pid],
            subject=[A.ArgusWatcherSubject(path=[self.tmp.path], event=["create"])]), timeout=10)

    def workload(self, names):
        for i in range(0, len(names), 2500):  # within the kernel's limit on arguments
            self.cg.run([WORKLOAD] + [f"create:{self.d}/{n}" for n in names[i:i + 2500]])

    def sleeper(self):
        """A process in the test's cgroup, for argus' pid targets."""
        s = Sleeper(self.cg.path)
        self.addCleanup(s.close)
        return s.pid

    def stop_agent(self, how):
        a = self.agent
        self.agent = None
        if how == "kill":
            a.proc.send_signal(signal.SIGKILL)
            a.stop()
        else:
            code, _ = a.stop()
            self.assertEqual(code, 0, "\n".join(a.stderr_lines[-20:]))
        for sub in ("maps/pn_events", f"links/{self.hook}", "maps/pn_handover"):
            self.assertTrue(os.path.exists(f"{PIN}/{sub}"), f"{sub} not left pinned")
        return a

    def adopted_line(self, agent):
        return next((l for l in agent.stderr_lines if "adopted the programs pinned in" in l),
                    None)

    def created(self, agent):
        return [e["path"] for e in agent.lines if e["event"] == "CREATE"
                and e["path"].startswith(self.d + "/")]

    def across(self, how):
        self.start("--keep-on-exit")
        self.create_watch()
        self.workload(["before"])
        self.agent.wait_for(lambda ls: len(self.created(self.agent)) == 1)
        self.assertEqual(programs_named(self.hook, 1), 1)
        self.stop_agent(how)

        names = [f"f{i:05d}" for i in range(N_FILES)]
        self.workload(names)  # no agent runs: the pinned programs capture

        agent = self.start("--keep-on-exit")
        line = self.adopted_line(agent)
        self.assertIsNotNone(line, agent.stderr_lines)
        self.assertIn("left them running (--keep-on-exit)" if how == "term"
                      else "did not stop cleanly", line)
        self.assertRegex(line, r"the kernel dropped 0 while")
        self.assertTrue(any("restored 1 watch(es) created over gRPC" in l
                            for l in agent.stderr_lines), agent.stderr_lines)
        # the hooks were kept, not attached again
        self.assertEqual(programs_named(self.hook), 1)
        m = agent.metrics()
        self.assertEqual((m["panoptes_handover_adopted"], m["panoptes_handover_dropped_records"]),
                         (1, 0))
        agent.wait_for(lambda ls: len(self.created(agent)) >= N_FILES, timeout=60)
        self.assertEqual(self.created(agent), [f"{self.d}/{n}" for n in names])
        ev = agent.lines[0]
        self.assertEqual((ev["watch"], ev["pod"], ev["tags"]), ("kept", "pod-r", {"k": "v"}))
        info = self.api.list_watches()
        self.assertEqual([(i.watch.name, i.origin) for i in info], [("kept", "api")])

        # and it goes on as live
        self.workload(["after"])
        agent.wait_for(lambda ls: len(self.created(agent)) == N_FILES + 1)
        self.assertEqual(self.created(agent)[-1], f"{self.d}/after")
        self.assertEqual(agent.settle(quiet=0.5)[N_FILES + 1:], [])

    def test_keep_on_exit_then_adopt(self):
        self.across("term")

    def test_killed_agent_then_adopt(self):
        self.across("kill")

    def test_backlog_past_the_ring_buffer(self):
        """1 MiB of ring buffer, ~2 MiB of records while no agent runs: what did not
        fit is the kernel's dropped count, and reported + dropped = caused."""
        self.start("--keep-on-exit", ringbuf_mb=1)
        self.create_watch()
        dropped0 = self.agent.counters()["dropped"]
        self.stop_agent("term")
        names = [f"{'x' * 120}{i:05d}" for i in range(N_FILES)]
        self.workload(names)

        agent = self.start("--keep-on-exit", ringbuf_mb=1)
        line = self.adopted_line(agent)
        m = re.search(r"the kernel dropped (\d+) while", line or "")
        self.assertIsNotNone(m, agent.stderr_lines)
        dropped = int(m.group(1))
        self.assertGreater(dropped, 0)
        reported = agent.settle(quiet=1.0)
        got = self.created(agent)
        self.assertEqual(len(got) + dropped, N_FILES, f"{len(got)} reported, {dropped} dropped")
        # the ones reported are the first ones, in order: the ring buffer kept its oldest
        self.assertEqual(got, [f"{self.d}/{n}" for n in names[:len(got)]])
        self.assertEqual(agent.counters()["dropped"] - dropped0, dropped)
        self.assertEqual(agent.metrics()["panoptes_handover_dropped_records"], dropped)
        self.assertEqual(len(reported), len(got))

    def test_argus_and_native_watches_survive_a_restart_without_keep(self):
        """The state file is independent of the pins: a plain restart (the programs are
        detached, a gap) still brings back every watch created over gRPC."""
        pid = self.sleeper()
        self.start()
        self.create_watch()
        self.create_argus_watch(pid)
        code, _ = self.agent.stop()
        self.agent = None
        self.assertEqual(code, 0)
        self.assertFalse(os.path.exists(PIN), "pins left without --keep-on-exit")

        agent = self.start()
        self.assertIsNone(self.adopted_line(agent))
        self.assertEqual(agent.metrics()["panoptes_handover_adopted"], 0)
        info = sorted((i.watch.name, i.origin) for i in self.api.list_watches())
        self.assertEqual(info, [("argus-kept", "argus"), ("kept", "api")])
        handles = [(h.podName, list(h.pid)) for h in self.api.watch_state()]
        self.assertIn(("pod-a", [pid]), handles)
        self.workload(["live"])
        agent.wait_for(lambda ls: self.created(agent))
        self.assertEqual(self.created(agent), [f"{self.d}/live"])

        # deleted over gRPC: gone after the next restart too
        self.api.n_delete(self.api.N.DeleteWatchRequest(name="kept"), timeout=10)
        agent.stop()
        self.agent = None
        agent = self.start()
        self.assertEqual([i.watch.name for i in self.api.list_watches()], ["argus-kept"])

    def test_restored_watches_obey_a_narrowed_api_cgroup_root(self):
        self.start()
        self.create_watch()
        self.agent.stop()
        self.agent = None
        agent = self.start(cgroup_roots=("/panoptes-e2e-elsewhere",))
        self.assertEqual(self.api.list_watches(), [])
        self.assertTrue(any("watch 0 (kept) not restored" in l and "--api-cgroup-root" in l
                            for l in agent.stderr_lines), agent.stderr_lines)

    def test_remove_pins_uninstalls(self):
        self.start("--keep-on-exit")
        self.create_watch()
        self.stop_agent("term")
        self.assertEqual(programs_named(self.hook, 1), 1)
        rc, _, err = run_cli(["--remove-pins", "--pin-path", PIN, "--state-dir", self.state])
        self.assertEqual(rc, 0, err)
        self.assertIn(f"and {PIN}: what they held is detached", err)
        self.assertFalse(os.path.exists(PIN))
        self.assertFalse(os.path.exists(os.path.join(self.state, "watches.pb")))
        self.assertEqual(programs_named(self.hook, 0), 0)

    def test_pins_of_another_layout_are_replaced(self):
        """Pins without a handover record (an agent before it, or another build):
        replaced with one line, and only our hooks remain."""
        self.start("--keep-on-exit")
        self.stop_agent("term")
        os.unlink(f"{PIN}/maps/pn_handover")
        agent = self.start()
        self.assertTrue(any(f"pins left in {PIN} by an agent that kept no handover record" in l
                            for l in agent.stderr_lines), agent.stderr_lines)
        self.assertIsNone(self.adopted_line(agent))
        self.assertEqual(programs_named(self.hook, 1), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
