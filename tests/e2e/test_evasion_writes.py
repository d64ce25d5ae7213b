#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes that try not to be seen (issue 13, docs/events.md "What an attacker
inside a container can and cannot hide"): a descriptor kept open and written
for long is reported again every --coalesce-ms, not once for the file's
life; a write to a file with another hard link says so (multilink). Both
backends where the kernel runs them: they share lib/rw.bpf.h."""
import json
import os
import signal
import subprocess
import unittest

from pn_e2e import BACKEND, WORKLOAD, Agent, AgentCase, brief, enter_cgroup, run_cli
from pn_grpc import Api, GrpcAgent, StreamReader, channel

PANOPTESCTL = os.environ.get("PANOPTESCTL", "panoptesctl")

# Writes every STEP_S for about RUN_S, through one descriptor, stamping each on
# CLOCK_MONOTONIC (the clock of bpf_ktime_get_ns) just before and after it.
WRITER = r"""
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY)
step, n = float(sys.argv[2]), int(sys.argv[3])
start = time.monotonic()
for i in range(n):
    time.sleep(max(0.0, start + i * step - time.monotonic()))
    before = time.monotonic_ns()
    os.write(fd, b"x")
    print(before, time.monotonic_ns())
os.close(fd)
"""
STEP_S = 0.1
N_WRITES = 35  # 3.5 s


def vfs_runs():
    """True where `--backend vfs` starts on this kernel (as test_vfs.py probes it)."""
    rc, _, err = run_cli(["--backend", "vfs", "--watch-pid", "999999", "--path", "/x",
                          "--metrics-listen", "", "--socket", "", "--listen", "",
                          "--pin-path", "", "--state-dir", ""])
    return rc == 1 and "pid 999999: no such process" in err


BACKENDS = ["syscalls"] + (["vfs"] if vfs_runs() else [])


def expected_reports(stamps, window_ns):
    """The bounds the rule gives on the MODIFY count of a write every STEP_S.

    The first write is reported (the last event of the file was its OPEN).
    After that a write is reported iff at least window_ns passed since the
    last report, so consecutive reports are >= window_ns apart (at most
    1 + span // window of them), and less than window_ns + the longest gap
    between writes apart, the last one less than window_ns before the last
    write (at least 1 + (span - window) / (window + gap), rounded up). The
    kernel stamps a write somewhere between its `before` and `after`:
    spans and gaps are taken at their widest and narrowest accordingly.
    """
    span_max = stamps[-1][1] - stamps[0][0]
    span_min = stamps[-1][0] - stamps[0][1]
    gap_max = max(b[1] - a[0] for a, b in zip(stamps, stamps[1:]))
    most = 1 + span_max // window_ns
    least = 1 + max(0, -(-(span_min - window_ns) // (window_ns + gap_max)))
    return least, most


class CoalesceBound(AgentCase):
    cgroup_name = "evasion-writes"

    def setUp(self):
        super().setUp()
        self.f = os.path.join(self.tmp.path, "f")
        with open(self.f, "w"):
            pass

    def start(self, backend, *extra):
        # no access: the writer's interpreter reading its modules would fold ACCESS too,
        # and the coalesced counter is to count only this file's writes
        self.agent = Agent(["--backend", backend, "--watch-cgroup", self.cg.path,
                            "--path", self.tmp.path, "--events", "open,modify,closewrite"]
                           + list(extra))
        self.assertEqual(self.agent.backend, backend)
        return self.agent

    def write_slowly(self):
        p = subprocess.run(["/usr/bin/python3", "-c", WRITER, self.f, str(STEP_S),
                            str(N_WRITES)], preexec_fn=enter_cgroup(self.cg.path),
                           capture_output=True, text=True, timeout=60, check=True)
        stamps = [tuple(map(int, l.split())) for l in p.stdout.splitlines()]
        self.assertEqual(len(stamps), N_WRITES)
        return stamps

    def events(self, n_modify):
        expected = [("OPEN", self.f)] + [("MODIFY", self.f)] * n_modify + \
            [("CLOSE_WRITE", self.f)]
        self.agent.wait_for(lambda ev: len(ev) >= len(expected))
        return brief(self.agent.settle())

    def test_kept_open_writer_reported_every_window(self):
        """--coalesce-ms 1000, a write every 100 ms for 3.5 s: about one MODIFY a second."""
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                self.start(backend, "--coalesce-ms", "1000")
                stamps = self.write_slowly()
                least, most = expected_reports(stamps, 1000 * 10**6)
                # 3.4 s of writes 100 ms apart: 4 unless the writer was held up
                self.assertGreaterEqual(least, 3)
                self.assertLessEqual(most, 5)
                ev = self.agent.wait_for(lambda ev: ("CLOSE_WRITE", self.f) in brief(ev))
                ev = brief(self.agent.settle())
                n = ev.count(("MODIFY", self.f))
                self.assertTrue(least <= n <= most, f"{n} MODIFY, rule allows {least}..{most}")
                self.assertEqual(ev, [("OPEN", self.f)] + [("MODIFY", self.f)] * n +
                                 [("CLOSE_WRITE", self.f)])
                code, _ = self.agent.stop()
                self.assertEqual(code, 0)
                self.assertEqual(self.agent.counters()["coalesced"], N_WRITES - n)
                self.agent = None

    def test_zero_reports_every_write(self):
        """--coalesce-ms 0: nothing folded, one MODIFY per write."""
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                self.start(backend, "--coalesce-ms", "0")
                self.write_slowly()
                self.assertEqual(self.events(N_WRITES),
                                 [("OPEN", self.f)] + [("MODIFY", self.f)] * N_WRITES +
                                 [("CLOSE_WRITE", self.f)])
                code, _ = self.agent.stop()
                self.assertEqual(code, 0)
                self.assertEqual(self.agent.counters()["coalesced"], 0)
                self.agent = None

    def test_repeats_within_window_still_fold(self):
        """The default window folds a burst: write3 is one MODIFY, as before the bound."""
        self.start(BACKENDS[0])
        self.cg.run([WORKLOAD, f"write3:{self.f}:x"])
        self.assertEqual(self.events(1), [("OPEN", self.f), ("MODIFY", self.f),
                                          ("CLOSE_WRITE", self.f)])


def linked_files(d):
    """d/f with a second link d/h, and d/single with one."""
    for name in ("f", "single"):
        with open(f"{d}/{name}", "w") as f:
            f.write("x")
    os.link(f"{d}/f", f"{d}/h")


class Multilink(AgentCase):
    cgroup_name = "evasion-links"

    def test_write_to_file_with_second_link_is_flagged(self):
        d = self.tmp.path
        linked_files(d)
        for backend in BACKENDS:
            with self.subTest(backend=backend):
                self.agent = Agent(["--backend", backend, "--watch-cgroup", self.cg.path,
                                    "--path", d])
                self.cg.run([WORKLOAD, f"write:{d}/f:hello", f"write:{d}/single:hello",
                             f"read:{d}/f"])
                expected = [(ev, f"{d}/{name}", flagged)
                            for name, flagged in (("f", True), ("single", False))
                            for ev in ("OPEN", "MODIFY", "CLOSE_WRITE")]
                # read-only: nothing it does changes what the other name reads
                expected += [(ev, f"{d}/f", False)
                             for ev in ("OPEN", "ACCESS", "CLOSE_NOWRITE")]
                self.agent.wait_for(lambda ev: len(ev) >= len(expected))
                got = [(e["event"], e["path"], e.get("multilink", False))
                       for e in self.agent.settle()]
                self.assertEqual(got, expected)
                for e in self.agent.lines:
                    self.assertIn(e.get("multilink"), (True, None))  # present only when set
                code, _ = self.agent.stop()
                self.assertEqual(code, 0)
                self.agent = None


class MultilinkApi(AgentCase):
    """The flag in the native gRPC Event and in `panoptesctl events --output json`."""
    cgroup_name = "evasion-links-api"

    def test_native_event_and_ctl(self):
        d = self.tmp.path
        linked_files(d)
        self.agent = GrpcAgent(["--watch-cgroup", self.cg.path, "--path", d,
                                "--events", "modify"], output="json")
        ch = channel(self.agent.addr)
        self.addCleanup(ch.close)
        api = Api(ch)
        reader = StreamReader(api.stream_events(api.N.StreamEventsRequest()))
        self.addCleanup(reader.cancel)
        ctl = subprocess.Popen([PANOPTESCTL, "--server", self.agent.addr, "events", "--output",
                                "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        self.addCleanup(lambda: ctl.poll() is None and (ctl.kill(), ctl.communicate()))
        api.wait_streams(2)
        self.cg.run([WORKLOAD, f"write:{d}/f:hello", f"write:{d}/single:hello"])
        reader.wait_count(2)
        got = [(e.path, e.multilink) for e in reader.settle()]
        self.assertEqual(got, [(f"{d}/f", True), (f"{d}/single", False)])
        ctl.send_signal(signal.SIGINT)
        out, err = ctl.communicate(timeout=30)
        self.assertEqual(ctl.returncode, 0, err)
        lines = [json.loads(l) for l in out.splitlines()]
        self.assertEqual([(e["path"], e.get("multilink")) for e in lines],
                         [(f"{d}/f", True), (f"{d}/single", None)])


class Handover(AgentCase):
    """The window is in .rodata, so in the build stamp: an agent with another
    --coalesce-ms replaces pinned programs instead of adopting them, which
    would keep the old window (docs/operations.md "Restarts and upgrades")."""
    cgroup_name = "evasion-handover"
    pin = f"/sys/fs/bpf/pn-coalesce-e2e-{os.getpid()}"

    def tearDown(self):
        super().tearDown()
        if os.path.exists(self.pin):
            run_cli(["--remove-pins", "--pin-path", self.pin, "--state-dir", ""])

    def agent_with(self, ms):
        return Agent(["--watch-cgroup", self.cg.path, "--path", self.tmp.path,
                      "--pin-path", self.pin, "--keep-on-exit", "--coalesce-ms", ms])

    def test_other_window_replaces_same_window_adopts(self):
        a = self.agent_with("1000")
        self.assertEqual(a.stop()[0], 0)
        self.agent = self.agent_with("1000")
        self.assertTrue(any("adopted the programs pinned in" in l
                            for l in self.agent.stderr_lines), self.agent.stderr_lines)
        self.assertEqual(self.agent.stop()[0], 0)
        self.agent = self.agent_with("500")
        lines = [l for l in self.agent.stderr_lines if "the programs pinned in" in l]
        self.assertEqual(len(lines), 1, self.agent.stderr_lines)
        self.assertIn("are another build's", lines[0])
        self.assertIn("replaced", lines[0])


class Backends(unittest.TestCase):
    def test_matrix_asked_for_vfs_gets_it(self):
        """The VM matrix runs this file with PN_BACKEND=vfs where the kernel allows it: then
        the tests above must have run on vfs too, not only on syscalls."""
        if BACKEND != "vfs":
            self.skipTest("PN_BACKEND is not vfs")
        self.assertEqual(BACKENDS, ["syscalls", "vfs"])


class Flag(unittest.TestCase):
    def test_bad_values_refused_naming_the_flag(self):
        for bad in ("-1", "60001", "1s", ""):
            with self.subTest(value=bad):
                rc, out, err = run_cli(["--coalesce-ms", bad, "--watch-pid", "1",
                                        "--path", "/x"])
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, "")
                self.assertIn(f'--coalesce-ms: expected 0 to 60000, got "{bad}"', err)

    def test_in_help(self):
        rc, out, _ = run_cli(["--help"])
        self.assertEqual(rc, 0)
        self.assertIn("--coalesce-ms N", out)


if __name__ == "__main__":
    unittest.main()
