# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the e2e tests: real panoptesd, real kernel, real cgroups.

Environment (set by ctest): PANOPTESD (the binary under test), PN_WORKLOAD
(the static workload program), PN_BACKEND (optional: the --backend every
agent is started with; the VM matrix runs the suite once per backend). Tests
need root and a cgroup v2 mount.

What the harness knows of a running agent it learns the way an operator
would: readiness from /readyz, the backend and the counters from /metrics
(every Agent serves them on a free loopback port unless the test names
one). Log lines are read only where the log itself is what a test checks.
"""
import http.client
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

PANOPTESD = os.environ.get("PANOPTESD", "panoptesd")
WORKLOAD = os.environ.get("PN_WORKLOAD", "pn_workload")
ATTACK = os.environ.get("PN_ATTACK", "pn_attack")
SLOWFS = os.environ.get("PN_SLOWFS", "pn_slowfs")
BACKEND = os.environ.get("PN_BACKEND", "")

# counters() key -> the /metrics family it is read from
COUNTER_METRICS = {
    "seen": "panoptes_kernel_seen_total",
    "filtered": "panoptes_kernel_filtered_total",
    "gated": "panoptes_kernel_gated_total",
    "coalesced": "panoptes_kernel_coalesced_total",
    "emitted": "panoptes_kernel_emitted_total",
    "dropped": "panoptes_ringbuf_drops_total",
    "truncated": "panoptes_truncated_paths_total",
    "failed": "panoptes_failed_operations_total",
    "pending_full": "panoptes_kernel_pending_full_total",
    "cgroup_notes_dropped": "panoptes_kernel_cgroup_notes_dropped_total",
    "records": "panoptes_records_total",
    "malformed": "panoptes_records_malformed_total",
    "written": "panoptes_events_written_total",
    "events_dropped": "panoptes_events_dropped_total",
    "lookups_timed_out": "panoptes_name_lookups_timed_out_total",
    "lookups_skipped": "panoptes_name_lookups_skipped_total",
}


def cgroup2_root():
    """The cgroup2 mount point, from mountinfo (never hard-coded)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[0] == "cgroup2":
                return left.split()[4].replace("\\040", " ")
    raise unittest.SkipTest("no cgroup2 mount")


_ports_given = set()


# panoptesd's own --listen default (127.0.0.1:50051), which an Agent started
# without --listen binds: inside the kernel's ephemeral range, so a pick could
# hand it to that very agent's metrics listener (seen once in the 6.12 guest).
AGENT_DEFAULT_GRPC_PORT = 50051


def free_port():
    """A loopback port nobody listens on now (the kernel's pick, outside fixed ports),
    never one this process was given before: two picks made before either is bound
    (the gRPC and the metrics port of one agent) can otherwise be the same."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given and port != AGENT_DEFAULT_GRPC_PORT:
            _ports_given.add(port)
            return port


def bpf_lsm_active():
    """bpf in the kernel's active LSM list (panoptesd mounts securityfs if need be)."""
    try:
        with open("/sys/kernel/security/lsm") as f:
            return "bpf" in f.read().strip().split(",")
    except OSError:
        return False


def guard_mechanism(agent):
    """What --guard-backend auto must pick here: BPF LSM where bpf is an active LSM and
    the kernel lets LSM programs attach, else fanotify. The second is told by the
    capture's own choice at start: a kernel that refuses the vfs backend's trampolines
    (this machine's) refuses the guard's LSM programs for the same reason."""
    if not bpf_lsm_active():
        return "fanotify"
    refused = any("the kernel refused the vfs programs (fentry/fexit/LSM)" in l
                  for l in agent.stderr_lines)
    return "fanotify" if refused else "lsm"


def http_get(addr, path, timeout=5):
    """(status, body) of GET http://addr/path; None while nothing listens there.

    http.client, not urllib: urllib would send loopback requests to an
    http_proxy from the environment."""
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode()
    except ConnectionRefusedError:
        return None
    finally:
        conn.close()


def metric_values(text):
    """Prometheus text -> {series: value}; a series is the name with its labels."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def enter_cgroup(path):
    """A preexec_fn that moves the child into the cgroup at path before it execs."""
    procs = os.path.join(path, "cgroup.procs")

    def enter():
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    return enter


def programs_named(name, want=None, timeout=10, prefix=False):
    """How many loaded BPF programs are named name (name* with prefix); with want, polled
    until that count or the timeout: the kernel frees released programs asynchronously
    (RCU, workqueues), so a fresh count can lag."""
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(["bpftool", "prog", "show"], capture_output=True, text=True,
                             check=True).stdout
        n = out.count(f"name {name}" if prefix else f"name {name} ")
        if want is None or n == want or time.monotonic() > deadline:
            return n
        time.sleep(0.1)


class Cgroup:
    """A fresh cgroup v2 child, removed on close (after its processes exit)."""

    def __init__(self, name):
        self.path = os.path.join(cgroup2_root(), "panoptes-e2e", f"{name}-{os.getpid()}")
        os.makedirs(self.path, exist_ok=True)

    def run(self, argv, cwd=None, check=True, env=None):
        """Runs argv inside this cgroup; returns (pid, returncode)."""
        p = subprocess.Popen(argv, cwd=cwd, preexec_fn=enter_cgroup(self.path), env=env,
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


def _flag_value(args, flag):
    """The value of `flag` in argv (`--flag V` or `--flag=V`; the last wins), else None."""
    value = None
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith(flag + "="):
            value = a[len(flag) + 1:]
    return value


class Agent:
    """panoptesd with JSON (or text) output, started and stopped by the test.

    Ready when /readyz answers 200 (the agent sets it after the programs are
    attached and the watches installed). Threads read stdout and stderr as
    they arrive, so a busy agent never blocks on a full pipe: `lines` (events:
    dicts for JSON, strings for text) and `stderr_lines` fill by themselves;
    every stderr line written before readiness is in `stderr_lines` when the
    constructor returns. `backend` is the one /metrics reports."""

    state_dir_flag = True  # False: a binary from before --state-dir

    def __init__(self, args, output="json", ready_timeout=30, env=None):
        self.output = output
        args = list(args)
        self.metrics_addr = _flag_value(args, "--metrics-listen")
        if self.metrics_addr is None:
            self.metrics_addr = f"127.0.0.1:{free_port()}"
            args += ["--metrics-listen", self.metrics_addr]
        elif not self.metrics_addr:
            raise ValueError("Agent needs its metrics endpoint to see readiness and counters")
        host, port = self.metrics_addr.rsplit(":", 1)
        if host in ("", "0.0.0.0", "[::]"):  # a wildcard: ask on loopback
            self.metrics_addr = ("[::1]:" if host == "[::]" else "127.0.0.1:") + port
        backend = ["--backend", BACKEND] if BACKEND else []
        # each agent its own state file, unless the test shares one between agents
        self._state_dir = None
        if self.state_dir_flag and _flag_value(args, "--state-dir") is None:
            self._state_dir = tempfile.mkdtemp(prefix="pn-state-", dir="/tmp")
            args += ["--state-dir", self._state_dir]
        self.proc = subprocess.Popen([PANOPTESD, "--output", output, "--node-name", "node-e2e"]
                                     + backend + args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     env=dict(os.environ, **env) if env else None)
        self.lines = []
        self.raw_lines = []  # stdout as bytes, for the tests of what the bytes are
        self.stderr_lines = []
        self.bad_output = []  # stdout lines that are not JSON in JSON mode
        self._last_counters = None
        self._changed = threading.Condition()
        self._stdout_open = threading.Event()  # cleared: stdout is left unread (a stuck log)
        self._stdout_open.set()
        # stdout from the start (a watched workload may already be busy); stderr is
        # read here until ready, then by its own thread
        self._threads = [threading.Thread(target=self._drain, daemon=True,
                                          args=(self.proc.stdout, b"", self._on_stdout,
                                                self._stdout_open))]
        self._threads[0].start()
        try:
            rest = self._wait_ready(time.monotonic() + ready_timeout)
            self.backend = self._backend()
        except BaseException:
            self.proc.kill()
            self.proc.wait()
            self._remove_state_dir()
            self._threads[0].join(timeout=10)
            self.proc.stdout.close()
            self.proc.stderr.close()
            raise
        self._threads.append(threading.Thread(target=self._drain, daemon=True,
                                              args=(self.proc.stderr, rest, self._on_stderr)))
        self._threads[1].start()

    def _wait_ready(self, deadline):
        """Polls /readyz, collecting stderr meanwhile; returns the unfinished stderr line."""
        fd = self.proc.stderr.fileno()
        buf, eof = b"", False
        while True:
            if eof:
                time.sleep(0.02)
            elif select.select([fd], [], [], 0.02)[0]:
                chunk = os.read(fd, 65536)
                eof = not chunk
                buf = self._take_lines(buf + chunk)
            try:
                reply = http_get(self.metrics_addr, "/readyz")
            except ConnectionResetError:
                # seen once in a full run: a connection reset while the agent started;
                # a crash is told by poll() below, so it only means "not ready yet"
                reply = None
            if reply and reply[0] == 200:
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait()
                while not eof:
                    chunk = os.read(fd, 65536)
                    eof = not chunk
                    buf = self._take_lines(buf + chunk)
                raise AssertionError("panoptesd did not become ready (exit "
                                     f"{self.proc.returncode}, /readyz {reply}):\n"
                                     + "\n".join(self.stderr_lines) + buf.decode(errors="replace"))
        # whatever it logged before /readyz turned 200 is in the pipe by now
        while not eof and select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf = self._take_lines(buf + chunk)
        return buf

    def _take_lines(self, buf):
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            self._on_stderr(line)
        return buf

    def pause_stdout(self):
        """Stops reading the agent's stdout (after at most one more chunk): a log
        that stops draining, as a stuck log shipper or terminal makes it."""
        self._stdout_open.clear()

    def resume_stdout(self):
        self._stdout_open.set()

    def _drain(self, f, buf, on_line, gate=None):
        """Reads a pipe until EOF, calling on_line with each line; waits while gate is clear."""
        while True:
            if gate:
                gate.wait()
            chunk = os.read(f.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                on_line(line)
        if buf:
            on_line(buf)

    def _on_stdout(self, line):
        text = line.decode(errors="replace")
        with self._changed:
            self.raw_lines.append(line)
            if self.output != "json":
                self.lines.append(text)
            else:
                try:
                    self.lines.append(json.loads(text))
                except ValueError:
                    self.bad_output.append(text)
            self._changed.notify_all()

    def _on_stderr(self, line):
        with self._changed:
            self.stderr_lines.append(line.decode(errors="replace"))
            self._changed.notify_all()

    def _check_output(self):
        if self.bad_output:
            raise AssertionError("panoptesd wrote lines that are not JSON:\n"
                                 + "\n".join(self.bad_output[:5]))

    def wait_for(self, pred, timeout=10):
        """Collects output until pred(lines) is true; returns the lines."""
        with self._changed:
            self._changed.wait_for(lambda: pred(self.lines) or self.bad_output, timeout)
        self._check_output()
        return self.lines

    def wait_log(self, pred, timeout=10):
        """Until some stderr line satisfies pred (for tests of the log itself); returns it."""
        with self._changed:
            self._changed.wait_for(lambda: any(pred(l) for l in self.stderr_lines), timeout)
        return next((l for l in self.stderr_lines if pred(l)), None)

    def settle(self, quiet=0.5, timeout=10):
        """Collects output until nothing new arrives for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            last, n = time.monotonic(), len(self.lines)
            while True:
                now = time.monotonic()
                if len(self.lines) != n:
                    last, n = now, len(self.lines)
                left = min(deadline, last + quiet) - now
                if left <= 0:
                    break
                self._changed.wait(left)
        self._check_output()
        return self.lines

    def metrics(self):
        """The agent's /metrics now, as {series: value}."""
        reply = http_get(self.metrics_addr, "/metrics")
        if not reply or reply[0] != 200:
            raise AssertionError(f"GET http://{self.metrics_addr}/metrics: {reply}")
        return metric_values(reply[1])

    def _backend_label(self, label):
        chosen = [k for k, v in self.metrics().items()
                  if k.startswith("panoptes_backend_info{") and v == 1]
        if len(chosen) != 1:
            raise AssertionError(f"/metrics names no single backend: {chosen}")
        return chosen[0].split(f'{label}="', 1)[1].split('"', 1)[0]

    def _backend(self):
        return self._backend_label("backend")

    def path_walk(self):
        """"full" (bpf_loop: paths up to PATH_MAX) or "bounded" (kernels without it)."""
        return self._backend_label("path_walk")

    def counters(self):
        """Kernel and consumer counters ({"emitted": n, "records": n, ...}) from /metrics.
        After stop(): as they were just before SIGTERM (tests settle() first, so no
        record is still on its way)."""
        if self.proc.poll() is None:
            m = self.metrics()
            # an older agent (the upgrade test's) lacks the newer counters
            return {k: int(m[name]) for k, name in COUNTER_METRICS.items() if name in m}
        if self._last_counters is None:
            raise AssertionError("no counters: the agent had stopped before stop() read them")
        return self._last_counters

    def signal(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self):
        """SIGTERM (if still running); returns (exit code, stderr text). Remaining output is
        collected."""
        self.resume_stdout()
        if self.proc.poll() is None:
            try:
                self._last_counters = self.counters()
            except (AssertionError, OSError):
                pass  # stopping already: stop() still has to reap it
        self.signal()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for t in self._threads:
            t.join(timeout=10)
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()
        self._remove_state_dir()
        self._check_output()
        return self.proc.returncode, "\n".join(self.stderr_lines)

    def _remove_state_dir(self):
        if self._state_dir:
            shutil.rmtree(self._state_dir, ignore_errors=True)
            self._state_dir = None


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
