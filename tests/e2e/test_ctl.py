#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""panoptesctl against a real panoptesd, driven only through the CLI: health,
status, a watch created on a fresh cgroup, live event streams (JSON and
text, --count, filters, SIGINT/SIGTERM), watch list/update/delete, the
one-line errors and exit codes scripts rely on, and mutual TLS.

Environment (set by ctest): PANOPTESD, PANOPTESCTL (plain or ASan build; with
ASan a leak makes the exit code and stderr differ, so the exact assertions
catch it), PN_WORKLOAD.
"""
import json
import os
import shlex
import signal
import socket
import subprocess
import time
import unittest

from pn_e2e import WORKLOAD, Cgroup, bpf_lsm_active
from pn_grpc import NODE, GrpcAgent, GrpcCase, free_port, unused_pid

PANOPTESCTL = os.environ.get("PANOPTESCTL", "panoptesctl")


def ctl(*args, env=None, timeout=60):
    """Runs panoptesctl; returns (exit code, stdout, stderr)."""
    p = subprocess.run([PANOPTESCTL] + list(args), capture_output=True, text=True,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr


class Events:
    """`panoptesctl events ...` in the background."""

    def __init__(self, addr, *args):
        self.proc = subprocess.Popen([PANOPTESCTL, "--server", addr, "events"] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def stop(self, sig=signal.SIGINT):
        self.proc.send_signal(sig)
        return self.wait()

    def wait_signals_blocked(self, timeout=30):
        """Until SIGINT and SIGTERM are blocked (events.c does it before connecting): a signal
        sent earlier kills the process, however long the test slept (seconds under emulation)."""
        want = 1 << (signal.SIGINT - 1) | 1 << (signal.SIGTERM - 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(f"/proc/{self.proc.pid}/status") as f:
                blk = next(int(l.split()[1], 16) for l in f if l.startswith("SigBlk:"))
            if blk & want == want:
                return
            time.sleep(0.02)
        raise AssertionError("panoptesctl events never blocked SIGINT and SIGTERM")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


class CtlCase(GrpcCase):
    cgroup_name = "ctl"

    def setUp(self):
        super().setUp()
        self.streams = []
        self.agent = GrpcAgent(output="json")
        self.addr = self.agent.addr
        self.d = self.tmp.path
        self.cg_id = os.stat(self.cg.path).st_ino

    def tearDown(self):
        try:
            for s in self.streams:
                s.kill()
        finally:
            super().tearDown()

    def ctl(self, *args, **kw):
        return ctl("--server", self.addr, *args, **kw)

    def ok(self, *args):
        """A call that must succeed without a word on stderr; returns stdout."""
        code, out, err = self.ctl(*args)
        self.assertEqual((code, err), (0, ""), f"panoptesctl {' '.join(args)}")
        return out

    def status(self):
        return json.loads(self.ok("status", "--output", "json"))

    def events(self, *args):
        s = Events(self.addr, *args)
        self.streams.append(s)
        return s

    def wait_streams(self, n, timeout=15):
        """Until the agent counts n open event streams: none of them misses an event."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.status()["streams"]
            if got == n:
                return
            time.sleep(0.05)
        self.fail(f"agent has {got} open event streams, expected {n}")

    def settle(self, quiet=0.5, timeout=15):
        """Until the agent's event counter stops moving: every event was sent."""
        deadline = time.monotonic() + timeout
        last, n = time.monotonic(), self.status()["events"]
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.status()["events"]
            if now != n:
                last, n = time.monotonic(), now
            elif time.monotonic() - last >= quiet:
                return n
        return n

    def workload(self, *steps, cg=None):
        return (cg or self.cg).run([WORKLOAD] + list(steps))

    def assertOneLineError(self, result, code, prefix, *contains):
        rc, out, err = result
        self.assertEqual(rc, code, err)
        self.assertEqual(out, "")
        self.assertTrue(err.startswith(prefix), err)
        self.assertTrue(err.endswith("\n") and err.count("\n") == 1, repr(err))
        for c in contains:
            self.assertIn(c, err)


class Ctl(CtlCase):

    def test_health_and_status(self):
        self.assertEqual(self.ctl("health"), (0, "SERVING\n", ""))
        for svc in ("panoptes.v1.Agent", "argus.Argusd", ""):
            self.assertEqual(self.ctl("health", "--service", svc), (0, "SERVING\n", ""))
        self.assertOneLineError(self.ctl("health", "--service", "no.such.Service"), 1,
                                "panoptesctl: NOT_FOUND: ", '"no.such.Service"')

        st = self.status()
        self.assertEqual((st["version"], st["node"], st["backend"], st["kernel_release"]),
                         ("0.1.0", NODE, self.agent.backend, os.uname().release))
        self.assertEqual((st["watches"], st["cgroups"], st["streams"], st["stream_drops"],
                          st["stream_cuts"], st["streams_refused"], st["stream_queue_bytes"],
                          st["insecure_listen"], st["policy_reloads"],
                          st["policy_reload_failures"], st["lookups_timed_out"],
                          st["lookups_skipped"]), (0, 0, 0, 0, 0, 0, 0, False, 0, 0, 0, 0))
        self.assertIn("pn_sys_exit" if self.agent.backend == "syscalls" else "pn_end_open",
                      st["programs"])
        self.assertEqual(sorted(st["kernel"]), sorted(
            ["seen", "filtered", "gated", "coalesced", "emitted", "dropped", "truncated",
             "failed", "pending_full", "cgroup_notes_dropped"]))

        text = self.ok("status").splitlines()
        rows = {line[:16].strip(): line[17:] for line in text}
        self.assertEqual(list(rows), ["version", "node", "backend", "kernel release",
                                      "programs", "uptime", "watches", "cgroups", "records",
                                      "malformed", "events", "events dropped", "streams",
                                      "stream drops", "stream cuts", "streams refused",
                                      "stream bytes", "insecure listen", "policy reloads",
                                      "name lookups", "runtime", "guards", "kernel counters"])
        # before any guard, auto names BPF LSM where bpf is an active LSM (loaded with the
        # first guard), else fanotify (docs/guard.md "Choosing the mechanism")
        want = "lsm" if bpf_lsm_active() else "fanotify"
        self.assertEqual((rows["guards"], st["guard_mechanism"], st["guard_unavailable"]),
                         (want, want, ""))
        # the runtime probed for: this node's containerd if it runs one, else why none
        self.assertRegex(rows["runtime"], r"^(none: no runtime socket found \(none of "
                         r"/run/containerd/containerd\.sock, .*|\S+ \S+ at unix:///.+)$")
        self.assertEqual((rows["version"], rows["node"], rows["backend"], rows["watches"],
                          rows["insecure listen"], rows["policy reloads"], rows["name lookups"]),
                         ("0.1.0", NODE, self.agent.backend, "0", "no", "0 (0 refused)",
                          "0 timed out, 0 skipped"))
        self.assertEqual(rows["programs"],
                         f"{len(st['programs'])}: " + " ".join(st["programs"]))

        # PANOPTES_SERVER stands in for --server
        env = dict(os.environ, PANOPTES_SERVER=self.addr)
        self.assertEqual(ctl("health", env=env), (0, "SERVING\n", ""))
        self.assertEqual(ctl("--version"), (0, "panoptesctl 0.1.0\n", ""))

    def test_watch_lifecycle_and_events(self):
        d, cg = self.d, self.cg.path
        other = Cgroup("ctl-other")
        self.addCleanup(other.close)

        out = self.ok("watch", "create", "w", "--watch-cgroup", cg, "--path", d,
                      "--events", "create,modify", "--events", "closewrite", "--recursive",
                      "--tag", "team=web")
        self.assertEqual(out, (
            f"watch w\n"
            f"  origin    api\n"
            f"  targets   --watch-cgroup {cg}\n"
            f"  subject   --path {d} --events MODIFY,CLOSE_WRITE,CREATE --recursive"
            f" --tag team=web\n"
            f"  cgroup    {self.cg_id} {cg}\n"
            f"  reported  nothing yet\n"))

        counted = self.events("--count", "7", "--output", "json")
        text = self.events()
        filtered = self.events("--watch", "w", "--events", "create",
                               "--path-prefix", f"{d}/sub", "--output", "json")
        self.wait_streams(3)

        # outside the watched cgroup, and outside the watched path: nothing
        self.workload(f"create:{d}/elsewhere", cg=other)
        self.workload("create:/tmp/pn-ctl-outside-%d" % os.getpid())
        os.unlink("/tmp/pn-ctl-outside-%d" % os.getpid())
        pid, _ = self.workload(f"create:{d}/f", f"write:{d}/f:hello", f"read:{d}/f",
                               f"mkdir:{d}/sub", f"create:{d}/sub/g")
        expected = [
            ("CREATE", f"{d}/f"), ("CLOSE_WRITE", f"{d}/f"),
            ("MODIFY", f"{d}/f"), ("CLOSE_WRITE", f"{d}/f"),
            ("CREATE", f"{d}/sub"),
            ("CREATE", f"{d}/sub/g"), ("CLOSE_WRITE", f"{d}/sub/g"),
        ]

        code, out, err = counted.wait()
        self.assertEqual((code, err), (0, ""))
        events = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([(e["type"], e["path"]) for e in events], expected)
        self.assertEqual(list(events[0]), [
            "time_unix_nano", "monotonic_ns", "type", "is_dir", "path", "dir", "file",
            "old_path", "cookie", "process", "cgroup_id", "container", "container_id",
            "pod_uid", "namespace", "container_name", "image", "image_id", "watch", "pod",
            "node", "tags", "truncated", "line", "escaped"])
        for e in events:
            self.assertEqual(e["process"], {"pid": pid, "tgid": pid, "uid": 0, "gid": 0,
                                            "comm": "pn_workload"})
            self.assertEqual((e["cgroup_id"], e["watch"], e["node"], e["tags"], e["pod"]),
                             (self.cg_id, "w", NODE, {"team": "web"}, ""))
            self.assertEqual((e["old_path"], e["cookie"], e["truncated"]), ("", 0, False))
            self.assertEqual(e["dir"] + "/" + e["file"], e["path"])
            self.assertEqual(e["is_dir"], e["path"] == f"{d}/sub")
            self.assertGreater(e["time_unix_nano"], 0)
        self.assertEqual((events[5]["dir"], events[5]["file"]), (f"{d}/sub", "g"))
        lines = [f"{t} {'directory' if p == d + '/sub' else 'file'} '{p}' (:{NODE}) team=web"
                 for t, p in expected]
        self.assertEqual([e["line"] for e in events], lines)

        # the same events reached the agent's own output
        self.settle()
        self.assertEqual([(e["event"], e["path"]) for e in self.agent.lines], expected)

        # a stream without --count: exactly the same, as text lines, until SIGINT
        self.assertEqual(text.stop(signal.SIGINT), (0, "\n".join(lines) + "\n", ""))
        # server-side filters: CREATE at or below {d}/sub only
        code, out, err = filtered.stop(signal.SIGTERM)
        self.assertEqual((code, err), (0, ""))
        self.assertEqual([(json.loads(l)["type"], json.loads(l)["path"])
                          for l in out.splitlines()],
                         [("CREATE", f"{d}/sub"), ("CREATE", f"{d}/sub/g")])
        self.wait_streams(0)

        info = json.loads(self.ok("watch", "list", "--output", "json"))["watches"]
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0]["watch"], {
            "name": "w",
            "targets": {"pids": [], "cgroups": [cg], "containers": [], "namespaces": [],
                        "container_names": [], "images": []},
            "subjects": [{"paths": [d], "events": ["MODIFY", "CLOSE_WRITE", "CREATE"],
                          "ignore": [], "only_dir": False, "recursive": True, "max_depth": 0,
                          "follow_move": False, "tags": {"team": "web"}}],
            "log_format": "", "pod": ""})
        self.assertEqual((info[0]["origin"], info[0]["cgroups"]),
                         ("api", [{"id": self.cg_id, "path": cg, "container": ""}]))
        self.assertEqual(info[0]["event_counts"], {"CREATE": 3, "MODIFY": 1, "CLOSE_WRITE": 3})

        # update: only DELETE now, a format and a pod; a MODIFY is no longer reported
        out = self.ok("watch", "update", "w", "--watch-cgroup", cg, "--path", d,
                      "--events", "delete", "--format", "{event} {path}{sep}{file} {comm}",
                      "--pod", "pod-1", "--output", "json")
        upd = json.loads(out)
        self.assertEqual((upd["watch"]["subjects"][0]["events"], upd["watch"]["pod"],
                          upd["watch"]["log_format"]),
                         (["DELETE"], "pod-1", "{event} {path}{sep}{file} {comm}"))
        after = self.events()
        self.wait_streams(1)
        self.workload(f"write:{d}/f:more", f"unlink:{d}/f")
        self.settle()
        self.assertEqual(after.stop(), (0, f"DELETE {d}/f pn_workload\n", ""))

        # delete: silent success, then the activity produces nothing
        self.assertEqual(self.ctl("watch", "delete", "w"), (0, "", ""))
        self.assertEqual(self.ctl("watch", "list", "--output", "json"),
                         (0, '{"watches":[]}\n', ""))
        self.assertEqual(self.ctl("watch", "list"), (0, "", ""))
        gone = self.events()
        self.wait_streams(1)
        self.workload(f"create:{d}/h", f"write:{d}/h:x", f"unlink:{d}/h")
        time.sleep(0.5)
        self.assertEqual(gone.stop(signal.SIGTERM), (0, "", ""))
        self.assertEqual(self.status()["watches"], 0)

    def test_every_flag_and_text_round_trip(self):
        """Each subject flag reaches the agent; the text form of a watch is shell words
        that `watch update` takes back unchanged."""
        d, cg = self.d, self.cg.path
        out = self.ok("watch", "create", "all-flags", "--watch-cgroup", cg, "--path", d,
                      "--path", f"{d}/with space", "--events", "CLOSE_WRITE,movedfrom",
                      "--events", "ATTRIB", "--recursive", "--max-depth", "2", "--ignore",
                      ".git", "--ignore", "it's", "--only-dir", "--follow-move", "--tag",
                      "team=web", "--tag", "note=a b", "--pod", "pod-7", "--format",
                      "{event} {path}", "--output", "json")
        w = json.loads(out)["watch"]
        subject = {"paths": [d, f"{d}/with space"],
                   "events": ["ATTRIB", "CLOSE_WRITE", "MOVED_FROM"],
                   "ignore": [".git", "it's"], "only_dir": True, "recursive": True,
                   "max_depth": 2, "follow_move": True, "tags": {"team": "web", "note": "a b"}}
        # the agent keeps events in inotify's bit order
        self.assertEqual(w, {"name": "all-flags",
                             "targets": {"pids": [], "cgroups": [cg], "containers": [],
                                         "namespaces": [], "container_names": [],
                                         "images": []},
                             "subjects": [subject], "log_format": "{event} {path}",
                             "pod": "pod-7"})
        text = self.ok("watch", "list")
        lines = text.splitlines()
        self.assertEqual(lines[:5], [
            "watch all-flags", "  origin    api", "  pod       pod-7",
            "  format    {event} {path}", f"  targets   --watch-cgroup {cg}"])
        tags = {"team": "team=web", "note": "note='a b'"}
        self.assertEqual(lines[5], (
            f"  subject   --path {d} --path '{d}/with space' --events ATTRIB,CLOSE_WRITE,"
            f"MOVED_FROM --recursive --max-depth 2 --ignore .git --ignore 'it'\\''s' "
            f"--only-dir --follow-move --tag " + " --tag ".join(
                tags[k] for k in w["subjects"][0]["tags"])))
        self.assertEqual(lines[6:], [f"  cgroup    {self.cg_id} {cg}",
                                     "  reported  nothing yet"])

        # paste the targets and subject words back: the same watch
        words = shlex.split(lines[4][12:]) + shlex.split(lines[5][12:])
        out = self.ok("watch", "update", "all-flags", *words, "--pod", "pod-7", "--format",
                      "{event} {path}", "--output", "json")
        self.assertEqual(json.loads(out)["watch"], w)

    def test_selector_flags_round_trip(self):
        """The selector flags reach the agent, come back from it in kubectl's syntax, and
        `watch update` takes that text back unchanged."""
        d, cg = self.d, self.cg.path
        out = self.ok("watch", "create", "sel", "--watch-cgroup", cg, "--watch-namespace",
                      "prod", "--watch-namespace", "prod-*", "--watch-container-name", "app",
                      "--watch-image", "*/nginx:*", "--watch-selector", "app=web,tier in (a,b)",
                      "--watch-selector", "!canary,env!=dev", "--path", d, "--output", "json")
        targets = json.loads(out)["watch"]["targets"]
        self.assertEqual(targets, {
            "pids": [], "cgroups": [cg], "containers": [], "namespaces": ["prod", "prod-*"],
            "container_names": ["app"], "images": ["*/nginx:*"],
            "pod_selector": {"match_labels": {}, "match_expressions": [
                {"key": "app", "operator": "In", "values": ["web"]},
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "canary", "operator": "DoesNotExist", "values": []},
                {"key": "env", "operator": "NotIn", "values": ["dev"]}]}})
        line = self.ok("watch", "list").splitlines()[2]
        self.assertEqual(line, (
            f"  targets   --watch-cgroup {cg} --watch-namespace prod --watch-namespace 'prod-*' "
            "--watch-container-name app --watch-image '*/nginx:*' --watch-selector "
            "'app=web,tier in (a,b),!canary,env!=dev'"))
        out = self.ok("watch", "update", "sel", *shlex.split(line[12:]), "--path", d,
                      "--output", "json")
        self.assertEqual(json.loads(out)["watch"]["targets"], targets)
        # kubectl's syntax is checked before anything is sent
        self.assertEqual(self.ctl("watch", "create", "x", "--watch-selector", "app in (a"), (
            2, "", 'panoptesctl: --watch-selector: "app in (a": expected , or ) at byte 10\n'))
        # an empty pattern is the agent's to refuse, naming the field
        self.assertOneLineError(
            self.ctl("watch", "create", "x", "--watch-namespace", "", "--path", d), 1,
            "panoptesctl: INVALID_ARGUMENT: watch.targets.namespaces[0]: must not be empty")

    def test_bad_input(self):
        d, cg = self.d, self.cg.path
        # usage errors: exit 2, one line naming the flag and the value, nothing sent
        self.assertEqual(self.ctl("watch", "create", "x", "--bogus", "1"), (
            2, "", "panoptesctl: --bogus: unknown flag (see panoptesctl watch create --help)\n"))
        self.assertEqual(self.ctl("watch", "create", "x", "--max-depth", "x"),
                         (2, "", 'panoptesctl: --max-depth: "x" is not a number\n'))
        self.assertEqual(self.ctl("watch", "create", "x", "--events", "modify,bogus"), (
            2, "", 'panoptesctl: --events: "bogus" is not an event (expected access attrib '
            'closewrite closenowrite close create delete deleteself modify moveself movedfrom '
            'movedto move open all, or enum names such as CLOSE_WRITE)\n'))
        self.assertEqual(self.ctl("watch", "create", "x", "--tag", "novalue"),
                         (2, "", 'panoptesctl: --tag: "novalue" is not KEY=VALUE\n'))
        self.assertEqual(self.ctl("watch", "create", "--watch-pid", "1"),
                         (2, "", "panoptesctl: missing NAME (see panoptesctl watch create "
                          "--help)\n"))
        self.assertEqual(self.ctl("events", "--count", "0"), (
            2, "", 'panoptesctl: --count: "0" is out of range (1..9223372036854775807)\n'))
        self.assertEqual(self.ctl("status", "--output=yaml"),
                         (2, "", 'panoptesctl: --output: "yaml" is not text or json\n'))
        self.assertEqual(self.ctl("frobnicate"), (
            2, "", "panoptesctl: frobnicate: unknown command (see panoptesctl --help)\n"))
        self.assertEqual(self.ctl("--timeout", "soon", "health"),
                         (2, "", 'panoptesctl: --timeout: "soon" is not a number of seconds\n'))
        self.assertEqual(self.ctl("-tlscafile", "/x", "health"),
                         (2, "", "panoptesctl: --tlscafile: needs --tls\n"))
        code, out, err = self.ctl("watch", "create", "--help")
        self.assertEqual((code, err), (0, ""))
        self.assertTrue(out.startswith("Usage: panoptesctl watch create NAME"), out)

        # the agent's answers: exit 1, "CODE: message" naming the field and value
        self.assertOneLineError(
            self.ctl("watch", "create", "r", "--watch-cgroup", cg, "--path", "rel/dir"), 1,
            "panoptesctl: INVALID_ARGUMENT: watch.subjects[0].paths[0]: ", '"rel/dir"')
        self.assertOneLineError(
            self.ctl("watch", "create", "r", "--watch-cgroup", cg, "--path", d,
                     "--max-depth", "-1", "--recursive"), 1,
            "panoptesctl: INVALID_ARGUMENT: watch.subjects[0].maxDepth: ", "-1")
        pid = unused_pid()
        self.assertOneLineError(
            self.ctl("watch", "create", "p", "--watch-pid", str(pid), "--path", d), 1,
            "panoptesctl: NOT_FOUND: ", str(pid))
        self.assertOneLineError(self.ctl("watch", "delete", "missing"), 1,
                                "panoptesctl: NOT_FOUND: ", '"missing"')
        self.assertOneLineError(
            self.ctl("watch", "update", "missing", "--watch-cgroup", cg, "--path", d), 1,
            "panoptesctl: NOT_FOUND: ", "missing")
        self.assertOneLineError(self.ctl("events", "--path-prefix", "relative"), 1,
                                "panoptesctl: INVALID_ARGUMENT: ", '"relative"')
        self.ok("watch", "create", "dup", "--watch-cgroup", cg, "--path", d)
        self.assertOneLineError(
            self.ctl("watch", "create", "dup", "--watch-cgroup", cg, "--path", d), 1,
            "panoptesctl: ALREADY_EXISTS: ", "dup")
        # nothing of the above changed the agent
        self.assertEqual([w["watch"]["name"] for w in json.loads(
            self.ok("watch", "list", "--output", "json"))["watches"]], ["dup"])
        self.assertEqual(self.ctl("health"), (0, "SERVING\n", ""))

        # nobody listening: exit 3
        port = free_port()
        self.assertOneLineError(ctl("--server", f"127.0.0.1:{port}", "health"), 3,
                                f"panoptesctl: cannot reach 127.0.0.1:{port}: ",
                                "Connection refused")
        self.assertOneLineError(ctl("--server", f"127.0.0.1:{port}", "events"), 3,
                                f"panoptesctl: cannot reach 127.0.0.1:{port}: ")
        # a listener that never speaks HTTP/2: the --timeout deadline, still exit 3
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(4)
            mute = "127.0.0.1:%d" % s.getsockname()[1]
            t0 = time.monotonic()
            self.assertEqual(ctl("--server", mute, "--timeout", "1", "status"), (
                3, "", f"panoptesctl: cannot reach {mute}: no connection within 1 s "
                "(--timeout)\n"))
            self.assertLess(time.monotonic() - t0, 10)
            # SIGINT while events waits for that connection: exit 0 at once
            waiting = Events(mute, "--timeout", "60")
            self.streams.append(waiting)
            waiting.wait_signals_blocked()
            time.sleep(1)
            t0 = time.monotonic()
            self.assertEqual(waiting.stop(signal.SIGINT), (0, "", ""))
            self.assertLess(time.monotonic() - t0, 5)

    def test_agent_stops_under_a_stream(self):
        """The agent's UNAVAILABLE while it stops is its answer (1), not "cannot reach" (3)."""
        stream = self.events("--output", "json")
        self.wait_streams(1)
        code, _ = self.agent.stop()
        self.assertEqual(code, 0)
        self.assertOneLineError(stream.wait(), 1, "panoptesctl: UNAVAILABLE: ")

    def test_subject_rules_are_usage_errors(self):
        """Flags that cannot go together: the agent's own subject check, run before sending,
        names the flag (exit 2); nothing reaches the agent."""
        d, cg = self.d, self.cg.path
        for verb in ("create", "update"):
            with self.subTest(verb):
                self.assertEqual(
                    self.ctl("watch", verb, "x", "--watch-cgroup", cg, "--path", d,
                             "--max-depth", "2"),
                    (2, "", "panoptesctl: --max-depth: only meaningful with --recursive\n"))
                self.assertEqual(
                    self.ctl("watch", verb, "x", "--watch-cgroup", cg, "--path", d, "--tag",
                             "team=web", "--tag", "env=prod", "--tag", "team=db"),
                    (2, "", 'panoptesctl: --tag: key "team" given twice\n'))
        self.assertEqual(json.loads(self.ok("watch", "list", "--output", "json")),
                         {"watches": []})
        # what the rules allow: 0 (unlimited) alone, a depth with --recursive
        w = json.loads(self.ok("watch", "create", "x", "--watch-cgroup", cg, "--path", d,
                               "--max-depth", "0", "--tag", "team=web", "--output", "json"))
        self.assertEqual((w["watch"]["subjects"][0]["max_depth"],
                          w["watch"]["subjects"][0]["recursive"]), (0, False))
        w = json.loads(self.ok("watch", "update", "x", "--watch-cgroup", cg, "--path", d,
                               "--recursive", "--max-depth", "3", "--output", "json"))
        self.assertEqual((w["watch"]["subjects"][0]["max_depth"],
                          w["watch"]["subjects"][0]["recursive"]), (3, True))


class CtlTls(GrpcCase):
    """Mutual TLS with argusd's flags on both sides."""
    cgroup_name = "ctl-tls"

    def test_mutual_tls(self):
        p = self.pki
        self.agent = GrpcAgent(["-tls", "-tlscafile", p.ca, "-tlscertfile", p.server,
                                "-tlskeyfile", p.server_key], output="json")
        addr = self.agent.addr
        self.assertEqual(ctl("--server", addr, "-tls", "-tlscafile", p.ca, "-tlscertfile",
                             p.client, "-tlskeyfile", p.client_key, "health"),
                         (0, "SERVING\n", ""))
        # GNU spelling, flags after the command
        code, out, err = ctl("status", "--output", "json", f"--server={addr}", "--tls",
                             f"--tlscafile={p.ca}", f"--tlscertfile={p.client}",
                             f"--tlskeyfile={p.client_key}")
        self.assertEqual((code, err, json.loads(out)["node"]), (0, "", NODE))

        refused = {
            "no client certificate": ["-tls", "-tlscafile", p.ca],
            "client certificate of another CA": ["-tls", "-tlscafile", p.ca, "-tlscertfile",
                                                 p.other_client, "-tlskeyfile",
                                                 p.other_client_key],
            "server not trusted": ["-tls", "-tlscafile", p.other_ca, "-tlscertfile", p.client,
                                   "-tlskeyfile", p.client_key],
            "plain text": [],
        }
        for what, flags in refused.items():
            code, out, err = ctl("--server", addr, "--timeout", "5", *flags, "health")
            self.assertEqual((code, out), (3, ""), f"{what}: {err}")
            self.assertTrue(err.startswith(f"panoptesctl: cannot reach {addr}: "), err)
            self.assertEqual(err.count("\n"), 1, err)

        self.assertEqual(ctl("--server", addr, "-tls", "-tlscertfile", p.client, "health"),
                         (2, "", "panoptesctl: --tlscertfile: needs --tlskeyfile too\n"))
        self.assertEqual(ctl("--server", addr, "-tls", "-tlscafile", "/nonexistent", "health"), (
            2, "", 'panoptesctl: --tlscafile: cannot read "/nonexistent": No such file or '
            'directory\n'))


if __name__ == "__main__":
    unittest.main(verbosity=2)
