# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the e2e tests: real panoptesd, real kernel, real cgroups.

Environment (set by ctest): PANOPTESD (the binary under test), PN_WORKLOAD
(the static workload program), PN_BACKEND (optional: the --backend every
agent is started with; the VM matrix runs the suite once per backend). Tests
need root and a cgroup v2 mount.
"""
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

PANOPTESD = os.environ.get("PANOPTESD", "panoptesd")
WORKLOAD = os.environ.get("PN_WORKLOAD", "pn_workload")
BACKEND = os.environ.get("PN_BACKEND", "")


def cgroup2_root():
    """The cgroup2 mount point, from mountinfo (never hard-coded)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[0] == "cgroup2":
                return left.split()[4].replace("\\040", " ")
    raise unittest.SkipTest("no cgroup2 mount")


class Cgroup:
    """A fresh cgroup v2 child, removed on close (after its processes exit)."""

    def __init__(self, name):
        self.path = os.path.join(cgroup2_root(), "panoptes-e2e", f"{name}-{os.getpid()}")
        os.makedirs(self.path, exist_ok=True)

    def run(self, argv, cwd=None, check=True, env=None):
        """Runs argv inside this cgroup; returns (pid, returncode)."""
        procs = os.path.join(self.path, "cgroup.procs")

        def enter():
            with open(procs, "w") as f:
                f.write(str(os.getpid()))

        p = subprocess.Popen(argv, cwd=cwd, preexec_fn=enter, env=env,
                             stderr=subprocess.PIPE)
        _, err = p.communicate(timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"{argv} failed ({p.returncode}): {err.decode()}")
        return p.pid, p.returncode

    def close(self):
        for _ in range(100):
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.05)


class Agent:
    """panoptesd with JSON (or text) output, started and stopped by the test."""

    def __init__(self, args, output="json", ready_timeout=30):
        self.output = output
        backend = ["--backend", BACKEND] if BACKEND else []
        self.proc = subprocess.Popen([PANOPTESD, "--output", output, "--node-name", "node-e2e"]
                                     + backend + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stderr_lines = []
        self.stdout_buf = b""
        self.lines = []
        deadline = time.monotonic() + ready_timeout
        while True:
            line = self._stderr_line(deadline)
            if line is None:
                self.proc.kill()
                out, err = self.proc.communicate()
                raise AssertionError("panoptesd did not become ready: "
                                     + "\n".join(self.stderr_lines) + err.decode())
            if " ready: " in line:
                # the backend auto (or PN_BACKEND) chose, for tests that check what is reported
                self.backend = line.split(" ready: backend ", 1)[1].split(",", 1)[0]
                break

    def _stderr_line(self, deadline):
        buf = b""
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stderr], [], [], 0.1)
            if not r:
                if self.proc.poll() is not None:
                    return None
                continue
            c = os.read(self.proc.stderr.fileno(), 1)
            if not c:
                return None
            if c == b"\n":
                line = buf.decode(errors="replace")
                self.stderr_lines.append(line)
                return line
            buf += c
        return None

    def _pump(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        self.stdout_buf += chunk
        while b"\n" in self.stdout_buf:
            line, self.stdout_buf = self.stdout_buf.split(b"\n", 1)
            text = line.decode()
            self.lines.append(json.loads(text) if self.output == "json" else text)

    def wait_for(self, pred, timeout=10):
        """Collects output until pred(lines) is true; returns the lines."""
        deadline = time.monotonic() + timeout
        while not pred(self.lines) and time.monotonic() < deadline:
            self._pump(0.05)
        return self.lines

    def settle(self, quiet=0.5, timeout=10):
        """Collects output until nothing new arrives for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last, n = time.monotonic(), len(self.lines)
        while time.monotonic() < deadline:
            self._pump(0.05)
            if len(self.lines) != n:
                last, n = time.monotonic(), len(self.lines)
            elif time.monotonic() - last >= quiet:
                break
        return self.lines

    def stop(self):
        """SIGTERM; returns (exit code, stderr text). Remaining output is collected."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        self.stdout_buf += out
        for line in self.stdout_buf.split(b"\n"):
            if line:
                text = line.decode()
                self.lines.append(json.loads(text) if self.output == "json" else text)
        self.stdout_buf = b""
        self.stderr_lines += err.decode(errors="replace").splitlines()
        return self.proc.returncode, "\n".join(self.stderr_lines)

    def counters(self):
        """The counters line panoptesd prints when it stops."""
        for line in self.stderr_lines:
            if "counters:" in line:
                words = line.split("counters:", 1)[1].replace(";", "").split()
                return {words[i]: int(words[i + 1]) for i in range(0, len(words) - 1, 2)
                        if words[i + 1].isdigit()}
        raise AssertionError("no counters line in:\n" + "\n".join(self.stderr_lines))


def brief(events, keys=("event", "path")):
    """Events reduced to tuples, for exact sequence comparisons."""
    return [tuple(e[k] for k in keys) for e in events]


def run_cli(args, timeout=30):
    p = subprocess.run([PANOPTESD] + args, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class TempDir:
    def __init__(self, prefix):
        self.path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


class AgentCase(unittest.TestCase):
    """A test with a fresh cgroup, a temporary directory and at most one agent,
    all cleaned up whatever the outcome."""
    cgroup_name = "case"

    def setUp(self):
        self.cg = Cgroup(self.cgroup_name)
        self.tmp = TempDir(f"pn-{self.cgroup_name}-")
        self.agent = None

    def tearDown(self):
        if self.agent:
            self.agent.stop()
        self.tmp.close()
        self.cg.close()
