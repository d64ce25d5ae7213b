#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The guard (issue 16), as janus-controller drives it: janus.Janusd over the
local socket, against real runc containers, enforced with fanotify
permission events. A denied open fails inside the container with EPERM, an
allowed one succeeds, both are logged in the guard's logFormat (janus'
default line when none is given) and unguarded paths are not; another
container reaching an identical path is unaffected; a guard is replaced in
place with no moment in which a denied file opens, and DestroyGuard lifts
it; autoAllowOwner lets the container's init and its children through; a
stopped or killed agent leaves no container hanging; bad input gets a
status naming the field, and a client without a certificate over TCP may
not guard."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import grpc

from pn_e2e import cgroup2_root, guard_mechanism, run_cli
from pn_grpc import NODE, Api, GrpcCase, runc_exec, stubs_for
from runc_bundle import RuncContainer

PANOPTESCTL = os.environ.get("PANOPTESCTL", "panoptesctl")
URING = os.environ.get("PN_URING", "pn_uring")

J = stubs_for("janus.proto", "janus_pb2")
FMT = "<{response}> {event} {ftype} '{path}' ({pod}:{node}) {tags}"


def eperm(p):
    return p.returncode != 0 and b"Operation not permitted" in p.stderr


class GuardCase(GrpcCase):
    cgroup_name = "guard"

    def setUp(self):
        super().setUp()
        self.others = []

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            for c in self.others:
                c.delete()

    def container(self, name, args=("/bin/sleep", "1000"), other=False):
        c = RuncContainer(name, list(args))
        for f, text in (("secret", "s3cret\n"), ("open", "hello\n"), ("other", "x\n")):
            with open(os.path.join(c.rootfs, "data", f), "w") as fh:
                fh.write(text)
        os.makedirs(os.path.join(c.rootfs, "data", "vault"))
        with open(os.path.join(c.rootfs, "data", "vault", "key"), "w") as fh:
            fh.write("k\n")
        c.create()
        c.start()
        if other:
            self.others.append(c)
        else:
            self.c = c
        return c

    def janus(self):
        """The janus methods on a channel to the agent's local socket."""
        ch = grpc.insecure_channel(self.agent.socket_addr)
        grpc.channel_ready_future(ch).result(timeout=15)
        self.channels.append(ch)
        return (ch.unary_unary("/janus.Janusd/CreateGuard",
                               request_serializer=J.JanusdConfig.SerializeToString,
                               response_deserializer=J.JanusdHandle.FromString),
                ch.unary_unary("/janus.Janusd/DestroyGuard",
                               request_serializer=J.JanusdConfig.SerializeToString,
                               response_deserializer=J.Empty.FromString),
                ch.unary_stream("/janus.Janusd/GetGuardState",
                                request_serializer=J.Empty.SerializeToString,
                                response_deserializer=J.JanusdHandle.FromString))

    def config(self, c, pod="pod-a", log_format=FMT, **subject):
        subject.setdefault("deny", ["/data/secret", "/data/vault"])
        subject.setdefault("allow", ["/data/open"])
        subject.setdefault("event", ["open"])
        return J.JanusdConfig(name="guard-1", nodeName=NODE, podName=pod,
                              cid=[f"runc://{c.id}"], logFormat=log_format,
                              subject=[J.JanusGuardSubject(**subject)])

    def ctl(self, *args, server=None):
        p = subprocess.run([PANOPTESCTL, "--server", server or self.agent.socket_addr]
                           + list(args), capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def lines_after(self, since, n, timeout=20):
        self.agent.wait_for(lambda ls: len(ls) >= since + n, timeout=timeout)
        self.agent.settle(quiet=0.5, timeout=timeout)
        return self.agent.lines[since:]


class JanusGuard(GuardCase):
    def test_deny_allow_logged_and_other_containers_unaffected(self):
        c = self.container("guard-a")
        b = self.container("guard-b", other=True)
        self.start_agent()
        create, destroy, state = self.janus()
        h = create(self.config(c, tags={"team": "db"}), timeout=10)
        self.assertEqual((h.nodeName, h.podName, list(h.pid)), (NODE, "pod-a", [c.state()["pid"]]))
        self.assertEqual([(g.nodeName, g.podName) for g in state(J.Empty(), timeout=10)],
                         [(NODE, "pod-a")])

        since = len(self.agent.lines)
        denied = runc_exec(c.id, ["cat", "/data/secret"], check=False)
        self.assertTrue(eperm(denied), denied)
        self.assertEqual(runc_exec(c.id, ["cat", "/data/open"]).stdout, b"hello\n")
        self.assertEqual(runc_exec(c.id, ["cat", "/data/other"]).stdout, b"x\n")
        # a direct child of a denied directory, and the directory itself
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/vault/key"], check=False)))
        self.assertTrue(eperm(runc_exec(c.id, ["ls", "/data/vault"], check=False)))
        # the same paths in another container: not this guard's
        self.assertEqual(runc_exec(b.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")
        self.assertEqual(self.lines_after(since, 4), [
            "<DENY> OPEN_PERM file '/data/secret' (pod-a:node-e2e) team=db",
            "<ALLOW> OPEN_PERM file '/data/open' (pod-a:node-e2e) team=db",
            "<DENY> OPEN_PERM file '/data/vault/key' (pod-a:node-e2e) team=db",
            "<DENY> OPEN_PERM directory '/data/vault' (pod-a:node-e2e) team=db",
        ])
        m = self.agent.metrics()
        self.assertEqual(m.get(f'panoptes_guard_mechanism{{mechanism="{guard_mechanism(self.agent)}"}}'),
                         1, m)
        self.assertEqual((m['panoptes_guard_decisions_total{response="deny"}'],
                          m['panoptes_guard_decisions_total{response="allow"}'],
                          m["panoptes_guards"], m["panoptes_guard_unresolved_total"]),
                         (3, 1, 1, 0))

        destroy(J.JanusdConfig(nodeName=NODE, podName="pod-a", pid=[1, 2]), timeout=10)
        self.assertEqual(runc_exec(c.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")
        self.assertEqual(list(state(J.Empty(), timeout=10)), [])
        # as janusd: destroying what is gone is no error
        destroy(J.JanusdConfig(nodeName=NODE, podName="pod-a"), timeout=10)

    def test_reads_denied_and_the_default_line(self):
        """event access: the open passes, the read fails with EPERM; no logFormat is
        janus' default line; a path in both lists is denied."""
        c = self.container("guard-read")
        self.start_agent()
        create, _, _ = self.janus()
        create(self.config(c, log_format="", event=["access"], allow=["/data/secret"],
                           deny=["/data/secret"]), timeout=10)
        since = len(self.agent.lines)
        p = runc_exec(c.id, ["cat", "/data/secret"], check=False)
        self.assertTrue(eperm(p), p)
        # one line per read the kernel asked about (busybox cat tries sendfile, then read)
        lines = self.lines_after(since, 1)
        self.assertEqual(set(lines), {"<DENY> ACCESS_PERM file '/data/secret' (pod-a:node-e2e) "})

    def test_update_in_place_leaves_no_open_window(self):
        c = self.container("guard-upd")
        self.start_agent()
        create, destroy, _ = self.janus()
        create(self.config(c, allow=[]), timeout=10)
        # a loop in the container opening the denied file while the guard is replaced
        loop = subprocess.Popen(
            ["runc", "exec", c.id, "sh", "-c",
             "n=0; while [ ! -e /tmp/stop ]; do cat /data/secret >/dev/null 2>&1 && "
             "echo OPENED; n=$((n+1)); echo $n > /tmp/n; done; echo tries=$n"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        tries = os.path.join(c.rootfs, "tmp", "n")

        def done():
            """Tries so far: the loop rewrites the file, so an empty read is read again."""
            for _ in range(1000):
                try:
                    with open(tries) as f:
                        return int(f.read())
                except (FileNotFoundError, ValueError):
                    time.sleep(0.001)
            return 0

        try:
            deadline = time.monotonic() + 20
            while not done():
                self.assertLess(time.monotonic(), deadline, "the loop did not start")
                time.sleep(0.02)
            before = done()
            for i in range(20):
                create(self.config(c, allow=[], tags={"round": str(i)}), timeout=10)
            during = done() - before
        finally:
            open(os.path.join(c.rootfs, "tmp", "stop"), "w").close()
            out = loop.communicate(timeout=60)[0].decode()
        self.assertNotIn("OPENED", out)
        # the opens overlapped the replacements
        self.assertGreater(during, 0, out)
        destroy(J.JanusdConfig(nodeName=NODE, podName="pod-a"), timeout=10)
        self.assertEqual(runc_exec(c.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")

    def test_auto_allow_owner(self):
        """The container's init and its direct children pass a deny with autoAllowOwner;
        a process runc exec'd into the container (no child of its init) does not."""
        script = ("while [ ! -e /tmp/go ]; do sleep 0.05; done; "
                  "cat /data/secret > /tmp/out 2>/tmp/err; echo $? > /tmp/rc; exec sleep 1000")
        c = self.container("guard-owner", ["/bin/sh", "-c", script])
        self.start_agent()
        create, _, _ = self.janus()
        create(self.config(c, allow=[], autoAllowOwner=True), timeout=10)
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/secret"], check=False)))
        open(os.path.join(c.rootfs, "tmp", "go"), "w").close()
        rc = os.path.join(c.rootfs, "tmp", "rc")
        deadline = time.monotonic() + 20
        while not os.path.exists(rc) or not open(rc).read().strip():
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        with open(rc) as f:
            self.assertEqual(f.read().strip(), "0")
        with open(os.path.join(c.rootfs, "tmp", "out")) as f:
            self.assertEqual(f.read(), "s3cret\n")

    def test_agent_stopped_or_killed_leaves_nothing_hanging(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with self.subTest(signal=sig.name):
                c = self.container(f"guard-{sig.name.lower()}")
                self.start_agent()
                create, _, _ = self.janus()
                create(self.config(c, allow=[]), timeout=10)
                self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/secret"], check=False)))
                for ch in self.channels:
                    ch.close()
                self.channels.clear()
                self.agent.proc.send_signal(sig)
                self.agent.proc.wait(timeout=30)
                self.agent = None
                # guards do not outlive the agent: the kernel allows, nothing waits
                p = runc_exec(c.id, ["cat", "/data/secret"], timeout=20)
                self.assertEqual(p.stdout, b"s3cret\n")
                c.delete()
                self.c = None

    def test_guard_of_a_gone_pod_is_pruned(self):
        """A pod that ended without a DestroyGuard: its guard goes with its containers."""
        c = self.container("guard-prune")
        self.start_agent()
        create, _, state = self.janus()
        create(self.config(c), timeout=10)
        self.assertEqual(self.agent.metrics()["panoptes_guards"], 1)
        c.delete()
        self.c = None
        deadline = time.monotonic() + 30
        while list(state(J.Empty(), timeout=10)):
            self.assertLess(time.monotonic(), deadline, "the guard of a gone pod stayed")
            time.sleep(0.2)
        m = self.agent.metrics()
        self.assertEqual((m["panoptes_guards"], m["panoptes_guard_marks"]), (0, 0))

    def test_guard_backend_none_refuses_guards(self):
        c = self.container("guard-none")
        self.start_agent("--guard-backend", "none")
        create, _, _ = self.janus()
        with self.assertRaises(grpc.RpcError) as e:
            create(self.config(c), timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(e.exception.details(), "CreateGuard: this node cannot enforce guards: "
                         "--guard-backend none")
        self.assertNotIn("panoptes_guards", self.agent.metrics())

    def test_native_api_panoptesctl_and_the_event_stream(self):
        """panoptes.v1's CreateGuard, ListGuards and DeleteGuard through panoptesctl, a
        janus guard beside it, and StreamEvents carrying each decision."""
        c = self.container("guard-native")
        b = self.container("guard-native-b", other=True)
        self.start_agent()
        # StreamEvents on the local socket: decisions arrive with the guard's name
        ch = grpc.insecure_channel(self.agent.socket_addr)
        grpc.channel_ready_future(ch).result(timeout=15)
        self.channels.append(ch)
        api = Api(ch)
        events = self.reader(api.stream_events(api.N.StreamEventsRequest()))
        api.wait_streams(1)

        rc, out, err = self.ctl("guard", "create", "web", "--watch-container", f"runc://{c.id}",
                                "--deny", "/data/secret", "--allow", "/data/open",
                                "--operations", "open", "--tag", "team=db", "--pod", "pod-n")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, f"web --watch-container runc://{c.id} --deny /data/secret "
                         f"--allow /data/open --operations open --tag team=db --pod pod-n  "
                         f"(origin api, pids {c.state()['pid']})\n")
        create, destroy, _ = self.janus()
        create(self.config(b, pod="pod-j", allow=[]), timeout=10)

        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/secret"], check=False)))
        self.assertEqual(runc_exec(c.id, ["cat", "/data/open"]).stdout, b"hello\n")
        got = events.wait_count(2)
        N = api.N
        self.assertEqual([(e.decision, e.guard, e.watch, e.type, e.path, e.pod) for e in got[:2]],
                         [(N.DECISION_DENY, "web", "", N.EVENT_TYPE_OPEN, "/data/secret", "pod-n"),
                          (N.DECISION_ALLOW, "web", "", N.EVENT_TYPE_OPEN, "/data/open", "pod-n")])

        rc, out, err = self.ctl("guard", "list", "--output", "json")
        self.assertEqual((rc, err), (0, ""))
        listed = sorted((json.loads(l) for l in out.splitlines()), key=lambda g: g["origin"])
        self.assertEqual([(g["name"], g["origin"], g["pod"]) for g in listed],
                         [("web", "api", "pod-n"), ("guard-1", "janus", "pod-j")])
        self.assertEqual(listed[0]["subjects"], [{
            "deny": ["/data/secret"], "allow": ["/data/open"], "operations": ["open"],
            "only_dir": False, "auto_allow_owner": False, "audit": False,
            "recursive": False, "tags": {"team": "db"}}])
        self.assertEqual(listed[0]["targets"]["containers"], [f"runc://{c.id}"])

        # the native API does not remove janus' guards; janus' DestroyGuard does
        rc, _, err = self.ctl("guard", "delete", f"janus/{NODE}/pod-j")
        self.assertEqual(rc, 1)
        self.assertIn("NOT_FOUND", err)
        rc, out, err = self.ctl("guard", "delete", "web")
        self.assertEqual((rc, out, err), (0, "", ""))
        self.assertEqual(runc_exec(c.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")
        destroy(J.JanusdConfig(nodeName=NODE, podName="pod-j"), timeout=10)
        self.assertEqual(self.ctl("guard", "list"), (0, "", ""))

    def test_panoptesctl_bad_input_and_no_guard_without_a_certificate(self):
        c = self.container("guard-ctl-bad")
        self.start_agent()
        cases = [
            (["web", "--deny", "/data/secret"], "guard.targets: at least one pid, cgroup, "
             "container or selector (namespaces, container_names, images, pod_selector) is "
             "required"),
            (["web", "--watch-container", f"runc://{c.id}"],
             "guard.subjects[0].allow, guard.subjects[0].deny: at least one path is required"),
            (["web", "--watch-container", f"runc://{c.id}", "--deny", "data"],
             'guard.subjects[0].deny[0]: path must be absolute: "data"'),
            (["a/b", "--watch-container", f"runc://{c.id}", "--deny", "/data"],
             "guard.name: \"a/b\" must be at most"),
        ]
        for args, want in cases:
            with self.subTest(args=args):
                rc, out, err = self.ctl("guard", "create", *args)
                self.assertEqual((rc, out), (1, ""))
                self.assertIn("INVALID_ARGUMENT: " + want, err)
        rc, _, err = self.ctl("guard", "create", "web", "--operations", "write")
        self.assertEqual(rc, 2)
        self.assertIn('--operations: unknown operation "write" (valid: open, read)', err)
        rc, _, err = self.ctl("guard", "create", "web", "--watch-container", f"runc://{c.id}",
                              "--deny", "/data/secret", server=self.agent.addr)
        self.assertEqual(rc, 1)
        self.assertIn("PERMISSION_DENIED: CreateGuard: ", err)
        self.assertIn("mutual TLS or the local socket", err)
        self.assertEqual(runc_exec(c.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")

    def test_policy_file_guards_and_their_reload(self):
        """guards: in a policy file, enforced from the start, read-only over the API,
        replaced as a whole by SIGHUP; a node that cannot guard refuses the file."""
        c = self.container("guard-policy")
        policy = os.path.join(c.bundle, "guards.yaml")

        def write(path):
            with open(policy, "w") as f:
                f.write("guards:\n"
                        "  - name: files\n"
                        "    pod: pod-p\n"
                        f"    targets: {{containers: [\"runc://{c.id}\"]}}\n"
                        f"    subjects: [{{deny: [{path}], events: [open]}}]\n")

        write("/data/secret")
        self.start_agent("--policy", policy)
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/secret"], check=False)))
        rc, out, err = self.ctl("guard", "list")
        self.assertEqual(rc, 0, err)
        self.assertIn(f"(origin {policy}, pids", out)
        rc, _, err = self.ctl("guard", "delete", "files")
        self.assertEqual(rc, 1)
        self.assertIn(f"PERMISSION_DENIED: DeleteGuard: guard files comes from {policy}: "
                      "read-only over the API", err)

        write("/data/open")
        self.agent.signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while self.agent.metrics().get("panoptes_policy_reloads_total") != 1:
            self.assertLess(time.monotonic(), deadline, self.agent.stderr_lines)
            time.sleep(0.05)
        self.assertEqual(runc_exec(c.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/open"], check=False)))

        self.agent.stop()
        self.agent = None
        p = subprocess.run([os.environ["PANOPTESD"], "--pin-path", "", "--guard-backend", "none",
                            "--policy", policy], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"panoptesd: error: {policy}: guard files: this node cannot enforce "
                      "guards: --guard-backend none", p.stderr)

    def test_guards_come_back_after_a_restart(self):
        """Guards created over gRPC are kept in --state-dir and enforced again before the
        next agent is ready; while no agent runs, fanotify guards nothing."""
        c = self.container("guard-restart")
        state = tempfile.mkdtemp(prefix="pn-guard-state-", dir="/tmp")
        self.addCleanup(shutil.rmtree, state, True)
        self.start_agent("--state-dir", state)
        create, _, _ = self.janus()
        create(self.config(c, pod="pod-r", allow=[]), timeout=10)
        rc, _, err = self.ctl("guard", "create", "native", "--watch-container",
                              f"runc://{c.id}", "--deny", "/data/other")
        self.assertEqual(rc, 0, err)
        for ch in self.channels:
            ch.close()
        self.channels.clear()
        self.agent.stop()
        self.agent = None
        # no agent, no guard: the kernel allows
        self.assertEqual(runc_exec(c.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")

        self.start_agent("--state-dir", state)
        self.assertTrue(any("restored 2 guard(s) created over gRPC" in l
                            for l in self.agent.stderr_lines), self.agent.stderr_lines)
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/secret"], check=False)))
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/other"], check=False)))
        _, _, state_call = self.janus()
        self.assertEqual([(h.nodeName, h.podName) for h in state_call(J.Empty(), timeout=10)],
                         [(NODE, "pod-r")])
        rc, out, _ = self.ctl("guard", "list", "--output", "json")
        self.assertEqual(sorted((g["name"], g["origin"]) for g in map(json.loads,
                                                                       out.splitlines())),
                         [("guard-1", "janus"), ("native", "api")])

    def stop_for_good(self, kill=False):
        for ch in self.channels:
            ch.close()
        self.channels.clear()
        a, self.agent = self.agent, None
        if kill:
            a.proc.send_signal(signal.SIGKILL)
        a.stop()
        return a

    def test_keep_on_exit_keeps_bpf_lsm_guards_enforcing(self):
        """--keep-on-exit: BPF LSM's programs stay attached while no agent runs, so the
        container's open is still refused, and the next agent adopts the pinned maps
        (no moment without the rule) and logs that refusal; kill -9 holds the pins the
        same way; an agent that will not adopt them removes them. fanotify's marks go
        with its agent, as its last line says. Without the flag the guard's pins go."""
        c = self.container("guard-keep")
        state = tempfile.mkdtemp(prefix="pn-guard-keep-", dir="/tmp")
        self.addCleanup(shutil.rmtree, state, True)
        pin = "/sys/fs/bpf/panoptes-e2e-guard-keep"
        self.addCleanup(run_cli, ["--remove-pins", "--pin-path", pin, "--state-dir", ""])
        args = ["--pin-path", pin, "--state-dir", state]
        self.start_agent(*args, "--keep-on-exit")
        rc, _, err = self.ctl("guard", "create", "kept", "--watch-container", f"runc://{c.id}",
                              "--deny", "/data/secret", "--operations", "open")
        self.assertEqual(rc, 0, err)
        mech = guard_mechanism(self.agent)
        self.assertEqual(self.agent.metrics().get(
            f'panoptes_guard_mechanism{{mechanism="{mech}"}}'), 1)
        lsm = mech == "lsm"
        gone = self.stop_for_good()
        gap = runc_exec(c.id, ["cat", "/data/secret"], check=False)
        if not lsm:
            self.assertTrue(any("fanotify's marks go with this agent" in l
                                for l in gone.stderr_lines), gone.stderr_lines[-10:])
            self.assertEqual(gap.stdout, b"s3cret\n")
            return
        self.assertTrue(any("BPF LSM programs stay attached with the 1 guard(s)" in l
                            for l in gone.stderr_lines), gone.stderr_lines[-10:])
        self.assertTrue(eperm(gap), gap)
        self.assertTrue(os.path.exists(f"{pin}/guard/links/pn_guard_open"))

        # the next agent: the refusal made while away is its first line
        self.start_agent(*args, "--keep-on-exit")
        self.assertTrue(any("adopted the BPF LSM guard pinned in" in l
                            for l in self.agent.stderr_lines), self.agent.stderr_lines)
        self.assertEqual(self.lines_after(0, 1), [f"<DENY> OPEN_PERM file '/data/secret' "
                                                  f"(:{NODE}) "])
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/secret"], check=False)))

        # killed: the pins hold all the same
        self.stop_for_good(kill=True)
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/secret"], check=False)))
        self.start_agent(*args)
        self.assertTrue(any("adopted the BPF LSM guard pinned in" in l
                            for l in self.agent.stderr_lines), self.agent.stderr_lines)
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/secret"], check=False)))
        # a rule no guard of the agent holds any more is dropped from the adopted maps
        rc, _, err = self.ctl("guard", "delete", "kept")
        self.assertEqual(rc, 0, err)
        self.assertEqual(runc_exec(c.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")
        rc, _, err = self.ctl("guard", "create", "kept", "--watch-container", f"runc://{c.id}",
                              "--deny", "/data/secret")
        self.assertEqual(rc, 0, err)
        # killed again, then an agent that will not adopt it removes it, never leaves it on
        self.stop_for_good(kill=True)
        self.start_agent(*args, "--guard-backend", "none")
        self.assertTrue(any("removed the BPF LSM guard an agent left in" in l
                            for l in self.agent.stderr_lines), self.agent.stderr_lines)
        self.assertEqual(runc_exec(c.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")
        self.stop_for_good()
        # without --keep-on-exit: the guard's pins and programs go with the agent
        self.start_agent(*args)
        rc, _, err = self.ctl("guard", "create", "kept", "--watch-container", f"runc://{c.id}",
                              "--deny", "/data/secret")
        self.assertEqual(rc, 0, err)
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/secret"], check=False)))
        self.stop_for_good()
        self.assertFalse(os.path.exists(f"{pin}/guard"))
        self.assertEqual(runc_exec(c.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")

    def test_recursive_covers_the_whole_subtree(self):
        """janus' rule covers a directory and its direct children; --recursive (the native
        API and policy files) covers the whole tree below it, what is made later too."""
        c = self.container("guard-deep")
        os.makedirs(os.path.join(c.rootfs, "data", "vault", "a", "b"))
        with open(os.path.join(c.rootfs, "data", "vault", "a", "b", "deep"), "w") as f:
            f.write("d\n")
        self.start_agent()
        base = ["guard", "create", "deep", "--watch-container", f"runc://{c.id}",
                "--deny", "/data/vault", "--operations", "open"]
        rc, _, err = self.ctl(*base)
        self.assertEqual(rc, 0, err)
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/vault/key"], check=False)))
        self.assertEqual(runc_exec(c.id, ["cat", "/data/vault/a/b/deep"]).stdout, b"d\n")

        rc, out, err = self.ctl(*base, "--recursive")
        self.assertEqual(rc, 0, err)
        self.assertIn(" --recursive", out)
        since = len(self.agent.lines)
        self.assertTrue(eperm(runc_exec(c.id, ["cat", "/data/vault/a/b/deep"], check=False)))
        # a directory made after the guard: covered, with no update
        p = runc_exec(c.id, ["sh", "-c", "mkdir /data/vault/later && echo x > "
                             "/data/vault/later/f"], check=False)
        self.assertTrue(eperm(p), p)
        # outside the tree, and the tree's own siblings: untouched
        self.assertEqual(runc_exec(c.id, ["cat", "/data/other"]).stdout, b"x\n")
        self.maxDiff = None
        self.assertEqual(self.agent.metrics()["panoptes_guard_unresolved_total"], 0)
        self.assertEqual(self.lines_after(since, 2), [
            "<DENY> OPEN_PERM file '/data/vault/a/b/deep' (:node-e2e) ",
            "<DENY> OPEN_PERM file '/data/vault/later/f' (:node-e2e) ",
        ])

    def test_bad_input_names_the_field(self):
        c = self.container("guard-bad")
        self.start_agent()
        create, _, _ = self.janus()
        cid = [f"runc://{c.id}"]

        def cfg(**kw):
            base = dict(name="g", nodeName=NODE, podName="pod-a", cid=cid,
                        subject=[J.JanusGuardSubject(deny=["/data/secret"])])
            base.update(kw)
            return J.JanusdConfig(**base)

        S = J.JanusGuardSubject
        cases = [
            (cfg(podName=""), grpc.StatusCode.INVALID_ARGUMENT, "podName"),
            (cfg(cid=[]), grpc.StatusCode.INVALID_ARGUMENT, "pid, cid"),
            (cfg(subject=[]), grpc.StatusCode.INVALID_ARGUMENT, "subject"),
            (cfg(subject=[S()]), grpc.StatusCode.INVALID_ARGUMENT, "subject[0].allow"),
            (cfg(subject=[S(deny=["data/secret"])]), grpc.StatusCode.INVALID_ARGUMENT,
             "subject[0].deny[0]"),
            (cfg(subject=[S(allow=["/data/open", ""])]), grpc.StatusCode.INVALID_ARGUMENT,
             "subject[0].allow[1]"),
            (cfg(subject=[S(deny=["/data/secret"], event=["write"])]),
             grpc.StatusCode.INVALID_ARGUMENT, "subject[0].event[0]"),
            (cfg(logFormat="{nope}"), grpc.StatusCode.INVALID_ARGUMENT, "logFormat"),
            (cfg(cid=["runc://no-such-container"]), grpc.StatusCode.NOT_FOUND, "cid"),
            (cfg(subject=[S(deny=["/data/none"])]), grpc.StatusCode.NOT_FOUND,
             "subject[0].deny[0]"),
        ]
        for req, code, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(grpc.RpcError) as e:
                    create(req, timeout=10)
                self.assertEqual(e.exception.code(), code, e.exception.details())
                self.assertIn(field, e.exception.details())
        # nothing half-installed
        self.assertEqual(runc_exec(c.id, ["cat", "/data/secret"]).stdout, b"s3cret\n")

        # over TCP without a client certificate: watching yes, guarding no
        tcp = self.channel()
        with self.assertRaises(grpc.RpcError) as e:
            tcp.unary_unary("/janus.Janusd/CreateGuard",
                            request_serializer=J.JanusdConfig.SerializeToString,
                            response_deserializer=J.JanusdHandle.FromString)(cfg(), timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("mutual TLS or the local socket", e.exception.details())


class InKernelMatching(GuardCase):
    """BPF LSM (where bpf is an active LSM: the VM matrix): the kernel matches the object
    a process reached, by identity, with its directories walked up in the kernel, so the
    ways around a guard's paths end at the guarded dentries: a symlink, "..", a hard link,
    a bind mount of a directory below a recursive one (which no path-based match can tell),
    and io_uring's OPENAT; on a plain and an overlayfs root. A tree deeper than the walk
    goes is denied under a recursive deny (fail closed), and counted."""

    def evasion_container(self, name, overlay):
        c = RuncContainer(name, ["/bin/sleep", "1000"], extra_files=[(URING, "/bin/pn_uring")],
                          overlay=overlay)
        deep = os.path.join(c.rootfs, "data", "vault", "a", "b")
        os.makedirs(deep)
        chain = os.path.join(c.rootfs, "data", "vault", *(f"d{i}" for i in range(70)))
        os.makedirs(chain)
        for path, text in ((os.path.join(c.rootfs, "data", "secret"), "s3cret\n"),
                           (os.path.join(c.rootfs, "data", "other"), "x\n"),
                           (os.path.join(deep, "deep"), "d\n"),
                           (os.path.join(chain, "far"), "f\n")):
            with open(path, "w") as f:
                f.write(text)
        # a directory below the guarded one, bind-mounted elsewhere in the container
        src = os.path.join(c.merged or c.rootfs, "data", "vault", "a")
        with open(os.path.join(c.bundle, "config.json")) as f:
            spec = json.load(f)
        spec["mounts"].append({"destination": "/mnt/a", "type": "bind", "source": src,
                               "options": ["rbind", "rw"]})
        with open(os.path.join(c.bundle, "config.json"), "w") as f:
            json.dump(spec, f)
        self.addCleanup(c.delete)
        c.create()
        c.start()
        self.c = c
        return c

    def test_the_ways_around_a_path_end_at_the_guarded_dentries(self):
        for overlay in (False, True):
            with self.subTest(overlay=overlay):
                self.check_evasions(overlay)

    def check_evasions(self, overlay):
        c = self.evasion_container("guard-lsm-ov" if overlay else "guard-lsm", overlay)
        self.start_agent()
        if guard_mechanism(self.agent) != "lsm":
            self.agent.stop()
            self.agent = None
            self.skipTest("BPF LSM programs do not run on this kernel (the vm boots run this)")
        rc, _, err = self.ctl("guard", "create", "deep", "--watch-container", f"runc://{c.id}",
                              "--deny", "/data/vault", "--deny", "/data/secret",
                              "--operations", "open", "--recursive")
        self.assertEqual(rc, 0, err)

        def denied(*cmd):
            p = runc_exec(c.id, list(cmd), check=False)
            self.assertTrue(eperm(p), (cmd, p))

        since = len(self.agent.lines)
        denied("cat", "/data/vault/a/b/deep")
        denied("sh", "-c", "ln -s /data/vault /tmp/v && cat /tmp/v/a/b/deep")
        denied("sh", "-c", "ln -s /data/secret /tmp/s && cat /tmp/s")
        denied("sh", "-c", "cd /data/vault/a/b && cat ../../a/./b/deep")
        denied("sh", "-c", "ln /data/secret /tmp/h && cat /tmp/h")
        denied("cat", "/mnt/a/b/deep")
        denied("pn_uring", "/data/vault/a")
        lines = self.lines_after(since, 7)
        # each names the object where the guard sees it, whatever name was used
        self.assertEqual(lines, [
            "<DENY> OPEN_PERM file '/data/vault/a/b/deep' (:node-e2e) ",
            "<DENY> OPEN_PERM file '/data/vault/a/b/deep' (:node-e2e) ",
            "<DENY> OPEN_PERM file '/data/secret' (:node-e2e) ",
            "<DENY> OPEN_PERM file '/data/vault/a/b/deep' (:node-e2e) ",
            "<DENY> OPEN_PERM file '/data/secret' (:node-e2e) ",
            "<DENY> OPEN_PERM file '/data/vault/a/b/deep' (:node-e2e) ",
            "<DENY> OPEN_PERM file '/data/vault/a/u' (:node-e2e) ",
        ])
        # outside the guarded tree, io_uring and the bind mount's parent work as before
        self.assertEqual(runc_exec(c.id, ["cat", "/data/other"]).stdout, b"x\n")
        p = runc_exec(c.id, ["pn_uring", "/tmp"], check=False)
        self.assertIn(p.returncode, (0, 3), p)  # 3: no io_uring name operations (before 5.15)
        m = self.agent.metrics()
        self.assertEqual((m['panoptes_guard_decisions_total{response="deny"}'],
                          m["panoptes_guard_unresolved_total"]), (7, 0))

        # a guard on the cgroup above the container's (a pod's, beside its container's): both
        # apply, though the kernel finds the container's own guarded cgroup first
        with open(f"/proc/{c.state()['pid']}/cgroup") as f:
            own = [l.split("::", 1)[1].strip() for l in f if l.startswith("0::")][0]
        parent = cgroup2_root() + os.path.dirname(own)
        rc, _, err = self.ctl("guard", "create", "outer", "--watch-cgroup", parent,
                              "--deny", "/data/other", "--operations", "open")
        self.assertEqual(rc, 0, err)
        since = len(self.agent.lines)
        denied("cat", "/data/other")
        self.assertEqual(self.lines_after(since, 1),
                         ["<DENY> OPEN_PERM file '/data/other' (:node-e2e) "])
        self.assertEqual(self.ctl("guard", "delete", "outer"), (0, "", ""))
        self.assertEqual(runc_exec(c.id, ["cat", "/data/other"]).stdout, b"x\n")

        # 71 directories down: further than the kernel walks up, so denied, and counted
        denied("cat", "/data/vault/" + "/".join(f"d{i}" for i in range(70)) + "/far")
        self.assertEqual(self.agent.metrics()["panoptes_guard_unresolved_total"], 1)
        self.agent.stop()
        self.agent = None
        c.delete()
        self.c = None


if __name__ == "__main__":
    unittest.main(verbosity=2)
