#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The operations runbook (docs/operations.md) against a running agent: pins,
bpftool output, counters, metrics (checked by promtool), probes, and the
leftover pins of a killed agent."""
import json
import os
import signal
import subprocess
import time
import unittest

import pn_e2e
from pn_e2e import (PANOPTESD, WORKLOAD, Agent, AgentCase, cgroup2_root, metric_values,
                    programs_named, run_cli)

PIN = "/sys/fs/bpf/panoptes"
METRICS = "127.0.0.1:21121"


def bpftool(*args):
    p = subprocess.run(["bpftool"] + list(args), capture_output=True, text=True, check=True)
    return p.stdout


def http_get(path):
    return pn_e2e.http_get(METRICS, path)


class Ops(AgentCase):
    cgroup_name = "ops"

    def start(self, *extra):
        self.agent = Agent(["--watch-cgroup", self.cg.path, "--path", self.tmp.path,
                            "--metrics-listen", METRICS] + list(extra))
        return self.agent

    def test_runbook_commands(self):
        agent = self.start("--events", "create,delete")
        self.assertEqual(sorted(os.listdir(PIN)), ["links", "maps", "progs"])
        programs = ["pn_cgroup_mkdir", "pn_cgroup_rmdir", "pn_close", "pn_dup2", "pn_dup3",
                    "pn_proc_exit", "pn_sys_enter", "pn_sys_exit"]
        self.assertEqual(sorted(os.listdir(f"{PIN}/progs")), programs)
        self.assertEqual(sorted(os.listdir(f"{PIN}/links")), programs)
        self.assertEqual(sorted(os.listdir(f"{PIN}/maps")),
                         ["config", "pn_cgroup_notes", "pn_cgroups", "pn_counters", "pn_events",
                          "pn_file_last", "pn_handover", "pn_pending", "pn_scratch", "state"])

        show = bpftool("prog", "show", "pinned", f"{PIN}/progs/pn_sys_exit")
        self.assertRegex(show, r"^\d+: tracing  name pn_sys_exit ")
        self.assertIn("tp 'sys_exit'", bpftool("link", "show", "pinned", f"{PIN}/links/pn_sys_exit"))
        self.assertEqual(programs_named("pn_", 8, prefix=True), 8)

        cgroups = json.loads(bpftool("map", "dump", "pinned", f"{PIN}/maps/pn_cgroups"))
        self.assertEqual(cgroups, [{"key": os.stat(self.cg.path).st_ino,
                                    "value": {"ops": 768, "pad": 0}}])
        state = json.loads(bpftool("map", "dump", "pinned", f"{PIN}/maps/state"))
        bss = {k: v for d in state[0]["value"][".bss"] for k, v in d.items()}
        level = len(os.path.relpath(self.cg.path, cgroup2_root()).split("/"))
        self.assertEqual(bss["pn_watch_nlevels"], 1)
        self.assertEqual(bss["pn_watch_levels"][0], level)

        d = self.tmp.path
        self.cg.run([WORKLOAD, f"create:{d}/a", f"create:{d}/b", f"unlink:{d}/a"])
        agent.wait_for(lambda ev: len(ev) >= 3)
        agent.settle()

        counters = json.loads(bpftool("map", "dump", "pinned", f"{PIN}/maps/pn_counters"))
        total = {}
        for cpu in counters[0]["values"]:
            for k, v in cpu["value"].items():
                total[k] = total.get(k, 0) + v
        self.assertEqual(set(total), {"seen", "filtered", "gated", "coalesced", "emitted",
                                      "dropped", "truncated", "failed", "pending_full",
                                      "cgroup_notes_dropped"})
        self.assertEqual(total["dropped"], 0)
        self.assertGreaterEqual(total["emitted"], 3)
        self.assertGreater(total["gated"], 0)  # the opens and closes nobody asked for

        code, text = http_get("/metrics")
        self.assertEqual(code, 200)
        check = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                               capture_output=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        m = metric_values(text)
        self.assertEqual(m['panoptes_events_total{watch="cli",event="CREATE"}'], 2)
        self.assertEqual(m['panoptes_events_total{watch="cli",event="DELETE"}'], 1)
        self.assertEqual(m['panoptes_events_total{watch="cli",event="MODIFY"}'], 0)
        self.assertEqual(m["panoptes_ringbuf_drops_total"], 0)
        self.assertEqual(m["panoptes_records_total"], m["panoptes_kernel_emitted_total"])
        self.assertGreaterEqual(m["panoptes_kernel_emitted_total"], total["emitted"])
        self.assertEqual(m["panoptes_watches"], 1)
        self.assertEqual(m["panoptes_watched_cgroups"], 1)
        self.assertEqual(m['panoptes_backend_info{backend="syscalls",path_walk="full"}'], 1)
        self.assertEqual(http_get("/healthz"), (200, "ok\n"))
        self.assertEqual(http_get("/readyz"), (200, "ok\n"))
        self.assertEqual(http_get("/nope")[0], 404)

        # one agent per pin directory
        rc, _, err = run_cli(["--watch-cgroup", self.cg.path, "--path", "/x",
                              "--metrics-listen", ""])
        self.assertEqual(rc, 1)
        self.assertIn(f"--pin-path {PIN}: in use by another running panoptesd", err)

        code, _ = agent.stop()
        self.assertEqual(code, 0)
        self.assertFalse(os.path.exists(PIN), "pins left after a clean exit")

    def test_killed_agent_pins_adopted_at_next_start(self):
        p = subprocess.Popen([PANOPTESD, "--watch-cgroup", self.cg.path, "--path", "/x",
                              "--metrics-listen", ""], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(f"{PIN}/links/pn_sys_exit") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stderr.close()
        self.assertEqual(len(os.listdir(f"{PIN}/links")), 8)

        agent = self.start()
        self.assertTrue(any(f"adopted the programs pinned in {PIN}" in l and
                            "did not stop cleanly" in l for l in agent.stderr_lines),
                        agent.stderr_lines)
        # the killed agent's hooks are ours now: one of each, none attached twice
        self.assertEqual(programs_named("pn_sys_exit", 1, prefix=True), 1)
        agent.stop()
        self.assertFalse(os.path.exists(PIN))

    def spawn(self):
        """panoptesd with stdout on a pipe of ours, ready once its watch is in place."""
        p = subprocess.Popen([PANOPTESD, "--watch-cgroup", self.cg.path, "--path", self.tmp.path,
                              "--output", "json", "--metrics-listen", ""],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(f"{PIN}/links/pn_sys_exit") and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.exists(f"{PIN}/links/pn_sys_exit"), "panoptesd did not start")
        return p

    def stopped(self, p):
        """Exit code and stderr of p, which must stop by itself, its pins cleared."""
        try:
            _, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise
        self.assertFalse(os.path.exists(PIN), "pins left after a clean stop")
        self.assertEqual(programs_named("pn_sys_exit", 0, prefix=True), 0)
        return p.returncode, err

    def test_stdout_reader_gone_is_a_clean_fatal_stop(self):
        """The reader of stdout goes away: the next write fails with EPIPE (SIGPIPE is
        blocked, so it does not kill), the agent says why, detaches and exits 1."""
        p = self.spawn()
        p.stdout.close()
        # events until the agent notices: the watch may be installed just after the pins
        for i in range(100):
            if p.poll() is not None:
                break
            self.cg.run([WORKLOAD, f"create:{self.tmp.path}/f{i}"])
            time.sleep(0.1)
        code, err = self.stopped(p)
        self.assertEqual(code, 1, err)
        self.assertIn("stdout: Broken pipe (its reader is gone): stopping", err)

    def test_sigquit_and_sigpipe_stop_cleanly(self):
        """Their default actions would kill the agent with its hooks attached through the
        pins; they stop it as SIGTERM does."""
        for sig, name in ((signal.SIGQUIT, "Quit"), (signal.SIGPIPE, "Broken pipe")):
            p = self.spawn()
            time.sleep(0.2)
            p.send_signal(sig)
            code, err = self.stopped(p)
            p.stdout.close()
            self.assertEqual(code, 0, err)
            self.assertIn(f"{name}: stopping", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
