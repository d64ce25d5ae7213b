#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Authentication by default and authorization per origin (issue 14), through
Debian's python3-grpcio against the real agent:

- the authorization matrix: a watch of each origin (flags, policy file,
  argus, native) x each mutating call (native CreateWatch, UpdateWatch,
  DeleteWatch; argus CreateWatch, DestroyWatch), from a loopback client, a
  unix socket client and a mutual-TLS client, with the exact status and
  message; a refusal changes nothing;
- roles from --authz-file for certificate names (CN, SAN): read, none,
  manage; a certificate's watches belong to it (another certificate may not
  change them, the unix socket may);
- the listeners: the unix socket (mode 0600, the default path panoptesctl
  dials), TCP on loopback only by default, a network address refused without
  mutual TLS naming the flag, --insecure-listen warned about and reported in
  GetStatus, panoptesctl status and /metrics; a live socket is never taken
  over, a stale one is replaced."""
import json
import os
import socket
import stat
import subprocess
import time
import unittest

import grpc

from pn_e2e import Agent, cgroup2_root, run_cli
from pn_grpc import NODE, Api, GrpcAgent, GrpcCase, channel, tls_creds

PD = grpc.StatusCode.PERMISSION_DENIED
OK = grpc.StatusCode.OK
PANOPTESCTL = os.environ.get("PANOPTESCTL", "build/panoptesctl")
DEFAULT_SOCKET = "/run/panoptes/panoptes.sock"


def akey(pid):
    """The registry key argus gives a watch of these pids: a name any origin may carry."""
    return f"argus/{NODE}/pid:{pid}"


def ctl(*args, env=None):
    p = subprocess.run([PANOPTESCTL] + list(args), capture_output=True, text=True, timeout=60,
                       env=env)
    return p.returncode, p.stdout, p.stderr


def tcp_listeners(pid):
    """{(ip, port)} of the TCP sockets process pid listens on (from /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    out = set()
    for fam in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{fam}") as f:
            next(f)
            for line in f:
                cols = line.split()
                local, st, inode = cols[1], cols[3], cols[9]
                if st != "0A" or inode not in inodes:  # 0A: LISTEN
                    continue
                hexip, hexport = local.split(":")
                raw = bytes.fromhex(hexip)
                if fam == "tcp":
                    ip = socket.inet_ntop(socket.AF_INET, raw[::-1])
                else:
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                    ip = socket.inet_ntop(socket.AF_INET6, words)
                if ip.startswith("::ffff:"):  # gRPC binds IPv4 addresses as mapped IPv6
                    ip = ip[7:]
                out.add((ip, int(hexport, 16)))
    return out


def network_ip():
    """An IPv4 address of this machine that is not loopback, or None."""
    p = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True)
    for line in p.stdout.splitlines():
        cols = line.split()
        ip = cols[3].split("/")[0]
        if not ip.startswith("127."):
            return ip
    return None


class PlainAgent(Agent):
    """pn_e2e.Agent (its listeners as given), stopped like GrpcCase stops its agents."""
    stop_clean = GrpcAgent.stop_clean


class AuthzCase(GrpcCase):
    """An agent with a watch of every origin on this test's cgroup:

    flags-w      --watch-cgroup ... --name flags-w     origin flags
    policy-w     the policy file                        origin FILE
    policy-argus the policy file, named by the argus key of a pid: the only
                 kind of operator watch argus calls can name
    native-w     panoptes.v1.Agent/CreateWatch           origin api
    pod-argus    argus.Argusd/CreateWatch (its key argus/NODE/pid:PID) origin argus"""
    cgroup_name = "authz"

    def setUp(self):
        super().setUp()
        self.d = self.tmp.path
        self.pid_policy, self.pid_argus = self.add_sleeper().pid, self.add_sleeper().pid
        self.policy = os.path.join(self.d, "policy.yaml")
        body = f"targets:\n  cgroups: [{self.cg.path}]\nsubjects:\n  - paths: [{self.d}]\n"
        with open(self.policy, "w") as f:
            f.write(f"name: policy-w\n{body}---\nname: {akey(self.pid_policy)}\n{body}")

    def operator_args(self):
        return ["--watch-cgroup", self.cg.path, "--path", self.d, "--name", "flags-w",
                "--policy", self.policy]

    def start(self, *args, listen=("--listen", "127.0.0.1"), cgroup_roots=("/panoptes-e2e",)):
        self.agent = GrpcAgent(self.operator_args() + list(args), listen=listen,
                               cgroup_roots=cgroup_roots)
        return self.agent

    def api_on(self, addr, creds=None):
        ch = channel(addr, creds)
        self.channels.append(ch)
        return Api(ch)

    def cert_api(self, name):
        cert, key = self.pki.leaf(name)
        return self.api_on(self.agent.addr, tls_creds(ca=self.pki.ca, cert=cert, key=key))

    def socket_api(self):
        return self.api_on(self.agent.socket_addr)

    # the watches and calls of the matrix

    def native_watch(self, api, name):
        N = api.N
        return N.Watch(name=name, targets=N.Targets(cgroups=[self.cg.path]),
                       subjects=[N.Subject(paths=[self.d],
                                           events=[N.EventType.Value("EVENT_TYPE_CREATE")])])

    def argus_config(self, api, pid, pod="pod-argus"):
        A = api.A
        return A.ArgusdConfig(pid=[pid], podName=pod, name=pod,
                              subject=[A.ArgusWatcherSubject(path=[self.d], event=["create"])])

    def request(self, api, call, target):
        """(fn, request) of `call` aimed at `target` (a name, or a pid for argus calls)."""
        N = api.N
        return {
            "CreateWatch": lambda: (api.n_create, N.CreateWatchRequest(
                watch=self.native_watch(api, target))),
            "UpdateWatch": lambda: (api.n_update, N.UpdateWatchRequest(
                watch=self.native_watch(api, target))),
            "DeleteWatch": lambda: (api.n_delete, N.DeleteWatchRequest(name=target)),
            "argus CreateWatch": lambda: (api.create_watch, self.argus_config(api, target)),
            "argus DestroyWatch": lambda: (api.destroy_watch, self.argus_config(api, target)),
        }[call]()

    def install_api_watches(self, api):
        """native-w and pod-argus, made by `api`'s client."""
        api.n_create(api.N.CreateWatchRequest(watch=self.native_watch(api, "native-w")),
                     timeout=10)
        api.create_watch(self.argus_config(api, self.pid_argus), timeout=10)

    def state(self, api):
        return sorted((w.watch.name, w.origin, w.owner) for w in api.list_watches())

    def call(self, fn, req):
        try:
            fn(req, timeout=10)
        except grpc.RpcError as e:
            return e.code(), e.details()
        return OK, ""

    def refusals(self):
        """(origin, call, target, code, details) of every call that must change nothing."""
        ka, kp, pol = akey(self.pid_argus), akey(self.pid_policy), self.policy
        AE, NF, INV = (grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.NOT_FOUND,
                       grpc.StatusCode.INVALID_ARGUMENT)

        def operator(call, name, origin):
            return (PD, f'{call}: watch "{name}" belongs to the operator (origin {origin}): '
                    "read-only over the API")

        rows = []
        for origin, name in (("flags", "flags-w"), (pol, "policy-w")):
            rows += [
                (origin, "CreateWatch", name, AE, f'watch.name: a watch named "{name}" already '
                 "exists"),
                (origin, "UpdateWatch", name) + operator("UpdateWatch", name, origin),
                (origin, "DeleteWatch", name) + operator("DeleteWatch", name, origin),
            ]
        rows += [
            # argus keys reach an operator watch only when it carries one as its name
            (pol, "argus CreateWatch", self.pid_policy) + operator("CreateWatch", kp, pol),
            (pol, "argus DestroyWatch", self.pid_policy) + operator("DestroyWatch", kp, pol),
            (pol, "DeleteWatch", kp) + operator("DeleteWatch", kp, pol),
            # an argus watch, by native calls: by its key (native names cannot be keys)
            ("argus", "DeleteWatch", ka, PD, 'DeleteWatch: watch "pod-argus" belongs to '
             "argus.Argusd (origin argus): only that API may change it"),
            ("argus", "UpdateWatch", ka, INV, f'watch.name: "{ka}" must be at most 253 '
             "characters without spaces or '/'"),
            ("argus", "UpdateWatch", "pod-argus", NF, 'watch.name: no watch named "pod-argus"'),
            ("native", "CreateWatch", "native-w", AE, 'watch.name: a watch named "native-w" '
             "already exists"),
        ]
        return rows

    def run_matrix(self, api, owner=""):
        """Every origin x every mutating call from `api`'s client: each refusal with its
        exact status and leaving every watch as it was; then what each API may do to its
        own watches: replace them in place, delete them."""
        self.install_api_watches(api)
        pol = self.policy
        before = self.state(api)
        self.assertEqual(before, sorted([
            ("flags-w", "flags", ""), ("policy-w", pol, ""), (akey(self.pid_policy), pol, ""),
            ("native-w", "api", owner), ("pod-argus", "argus", owner)]))
        for origin, call, target, code, details in self.refusals():
            with self.subTest(origin=origin, call=call, target=target):
                self.assertEqual(self.call(*self.request(api, call, target)), (code, details))
                self.assertEqual(self.state(api), before)
        for call, target in (("UpdateWatch", "native-w"), ("argus CreateWatch", self.pid_argus)):
            with self.subTest(call=call, target=target):
                self.assertEqual(self.call(*self.request(api, call, target)), (OK, ""))
                self.assertEqual(self.state(api), before)
        for call, target in (("DeleteWatch", "native-w"), ("argus DestroyWatch", self.pid_argus)):
            with self.subTest(call=call, target=target):
                self.assertEqual(self.call(*self.request(api, call, target)), (OK, ""))
        self.assertEqual(self.state(api), sorted([
            ("flags-w", "flags", ""), ("policy-w", pol, ""), (akey(self.pid_policy), pol, "")]))


class Matrix(AuthzCase):
    def test_loopback_client(self):
        self.start()
        self.run_matrix(self.api_on(self.agent.addr))

    def test_socket_client(self):
        self.start()
        self.run_matrix(self.socket_api())

    def test_mutual_tls_client_without_authz_file(self):
        p = self.pki
        self.start("-tls", "-tlscafile", p.ca, "-tlscertfile", p.server, "-tlskeyfile",
                   p.server_key)
        # without --authz-file every verified client manages; its watches carry its name
        self.run_matrix(self.cert_api("stranger"), owner="stranger")


class Roles(AuthzCase):
    def start_roles(self):
        authz = os.path.join(self.d, "authz.yaml")
        with open(authz, "w") as f:
            f.write("# roles of the e2e certificates\nroles:\n  client: manage\n"
                    "  client2.example: manage\n  reader: read\ndefault: none\n")
        p = self.pki
        return self.start("-tls", "-tlscafile", p.ca, "-tlscertfile", p.server, "-tlskeyfile",
                          p.server_key, "--authz-file", authz)

    def assertDenied(self, fn, req, details):
        self.assertEqual(self.call(fn, req), (PD, details))

    def assertStreamDenied(self, call, details):
        with self.assertRaises(grpc.RpcError) as cm:
            next(call)
        self.assertEqual((cm.exception.code(), cm.exception.details()), (PD, details))

    def test_read_and_none(self):
        self.start_roles()
        owner = self.cert_api("client")
        self.install_api_watches(owner)
        before = self.state(owner)
        reader, stranger = self.cert_api("reader"), self.cert_api("stranger")
        N, A = reader.N, reader.A

        # read: every read, no change
        self.assertEqual(self.state(reader), before)
        self.assertEqual(reader.status().watches, 5)
        self.assertEqual(len(reader.watch_state()), 5)  # every watch, as argusd listed them
        for name, target in (("CreateWatch", "w-new"), ("UpdateWatch", "native-w"),
                             ("DeleteWatch", "native-w"), ("argus CreateWatch", self.pid_argus),
                             ("argus DestroyWatch", self.pid_argus)):
            path = ("/argus.Argusd/" if name.startswith("argus") else
                    "/panoptes.v1.Agent/") + name.split()[-1]
            with self.subTest(role="read", call=name):
                self.assertDenied(*self.request(reader, name, target), f'{path}: client "reader" has role read; this call '
                                  "needs manage (--authz-file)")
        events = reader.stream_events(N.StreamEventsRequest(), timeout=1)
        with self.assertRaises(grpc.RpcError) as cm:
            next(events)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED,
                         "a reader's event stream stays open")

        # none (a verified certificate the file does not list): health only
        self.assertEqual(stranger.serving(), stranger.H.HealthCheckResponse.SERVING)
        for path, fn, req in (
                ("/panoptes.v1.Agent/ListWatches", stranger.n_list, N.ListWatchesRequest()),
                ("/panoptes.v1.Agent/GetStatus", stranger.get_status, N.GetStatusRequest()),
                ("/panoptes.v1.Agent/DeleteWatch", stranger.n_delete,
                 N.DeleteWatchRequest(name="x"))):
            with self.subTest(role="none", call=path):
                want = "read" if not path.endswith("DeleteWatch") else "manage"
                self.assertDenied(fn, req, f'{path}: client "stranger" has role none; this '
                                  f"call needs {want} (--authz-file)")
        for path, call in (
                ("/panoptes.v1.Agent/StreamEvents",
                 stranger.stream_events(N.StreamEventsRequest(), timeout=10)),
                ("/argus.Argusd/GetWatchState", stranger.get_watch_state_call(A.Empty(),
                                                                              timeout=10)),
                ("/argus.Argusd/RecordMetrics", stranger.record_metrics(A.Empty(),
                                                                        timeout=10))):
            with self.subTest(role="none", call=path):
                self.assertStreamDenied(call, f'{path}: client "stranger" has role none; this '
                                        "call needs read (--authz-file)")
        self.assertEqual(self.state(owner), before)
        # every refusal is in the log with its call
        self.assertIsNotNone(self.agent.wait_log(
            lambda l: "grpc /panoptes.v1.Agent/ListWatches: PERMISSION_DENIED: " in l))

    def test_certificate_owns_its_watches(self):
        self.start_roles()
        owner, other = self.cert_api("client"), self.cert_api("client2")
        self.install_api_watches(owner)
        native, pid = "native-w", self.pid_argus
        # in registry key order: argus/NODE/pid:PID before native-w
        self.assertEqual([(w.watch.name, w.owner) for w in owner.list_watches()
                          if w.origin in ("api", "argus")],
                         [("pod-argus", "client"), (native, "client")])
        code, out, err = ctl("--server", self.agent.socket_addr, "watch", "list")
        self.assertEqual((code, err), (0, ""))
        self.assertIn("watch native-w\n  origin    api\n  owner     client\n", out)
        code, out, err = ctl("--server", self.agent.socket_addr, "watch", "list", "--output",
                             "json")
        self.assertEqual([(w["watch"]["name"], w["origin"], w["owner"])
                          for w in json.loads(out)["watches"] if w["origin"] in ("api", "argus")],
                         [("pod-argus", "argus", "client"), ("native-w", "api", "client")])
        # the other manager (named by its SAN) may not touch them
        for call, fn, req, name, origin in (
                ("UpdateWatch", other.n_update,
                 other.N.UpdateWatchRequest(watch=self.native_watch(other, native)), native,
                 "api"),
                ("DeleteWatch", other.n_delete, other.N.DeleteWatchRequest(name=native), native,
                 "api"),
                ("CreateWatch", other.create_watch, self.argus_config(other, pid), "pod-argus",
                 "argus"),
                ("DestroyWatch", other.destroy_watch, self.argus_config(other, pid), "pod-argus",
                 "argus")):
            with self.subTest(call=call):
                self.assertDenied(fn, req, f'{call}: watch "{name}" belongs to client "client" '
                                  f'(origin {origin}): client "client2.example" may not '
                                  "change it")
        # its own watches: the other may create beside them, and change those
        mine = self.native_watch(other, "w-client2")
        self.assertEqual(other.n_create(other.N.CreateWatchRequest(watch=mine),
                                        timeout=10).owner, "client2.example")
        self.assertEqual(self.call(other.n_delete, other.N.DeleteWatchRequest(name="w-client2")),
                         (OK, ""))
        # root on the node (the unix socket) may change any API watch: it could stop the agent
        local = self.socket_api()
        self.assertEqual(local.n_update(local.N.UpdateWatchRequest(
            watch=self.native_watch(local, native)), timeout=10).owner, "")
        self.assertEqual(self.call(local.destroy_watch, self.argus_config(local, pid)), (OK, ""))
        # still not the operator's
        self.assertDenied(local.n_delete, local.N.DeleteWatchRequest(name="flags-w"),
                          'DeleteWatch: watch "flags-w" belongs to the operator (origin '
                          "flags): read-only over the API")


class CgroupScope(AuthzCase):
    """API watches cover the pods' cgroups only, unless the operator says more with
    --api-cgroup-root; the operator's own watches are not bound by it."""

    def rel(self):
        return "/" + os.path.relpath(self.cg.path, cgroup2_root())

    def refusal(self, what, cg, roots):
        return (f"{what}: cgroup {cg} is outside the cgroups the API may watch "
                f"(--api-cgroup-root {roots}): the operator must allow it with "
                "--api-cgroup-root")

    def test_default_is_the_pods(self):
        self.start(cgroup_roots=())
        api = self.api_on(self.agent.addr)
        N, rel = api.N, self.rel()
        self.assertEqual(len(api.list_watches()), 3, "the operator's watches are its choice")
        roots = "/kubepods.slice /kubepods"
        w = self.native_watch(api, "w")
        self.assertEqual(self.call(api.n_create, N.CreateWatchRequest(watch=w)), (
            PD, "watch.targets: " + self.refusal(f"cgroup {self.cg.path}", rel, roots)))
        w.targets.CopyFrom(N.Targets(pids=[self.pid_argus]))
        self.assertEqual(self.call(api.n_create, N.CreateWatchRequest(watch=w)), (
            PD, "watch.targets: " + self.refusal(f"pid {self.pid_argus}", rel, roots)))
        self.assertEqual(self.call(api.create_watch, self.argus_config(api, self.pid_argus)), (
            PD, self.refusal(f"pid {self.pid_argus}", rel, roots)))
        self.assertEqual(len(api.list_watches()), 3)

    def test_root_needs_saying_so(self):
        self.start()  # the tests' cgroups, not the root
        api = self.api_on(self.agent.addr)
        N = api.N
        for target in ("/", cgroup2_root()):
            w = self.native_watch(api, "w")
            w.targets.CopyFrom(N.Targets(cgroups=[target]))
            with self.subTest(target=target):
                self.assertEqual(self.call(api.n_create, N.CreateWatchRequest(watch=w)), (
                    PD, "watch.targets: " + self.refusal(f"cgroup {target}", "/",
                                                         "/panoptes-e2e")))
        # climbing out is refused as a bad path before any scope applies
        w = self.native_watch(api, "w")
        w.targets.CopyFrom(N.Targets(cgroups=["/panoptes-e2e/.."]))
        self.assertEqual(self.call(api.n_create, N.CreateWatchRequest(watch=w)), (
            grpc.StatusCode.INVALID_ARGUMENT,
            'watch.targets: cgroup /panoptes-e2e/..: ".." is not allowed: give a path '
            f"inside the cgroup tree ({cgroup2_root()})"))
        # below the allowed directory: fine
        w = self.native_watch(api, "w")
        self.assertEqual(api.n_create(N.CreateWatchRequest(watch=w), timeout=10).cgroups[0].path,
                         self.cg.path)

    def test_root_allowed_by_the_operator(self):
        self.start(cgroup_roots=("/",))
        api = self.api_on(self.agent.addr)
        N = api.N
        w = self.native_watch(api, "w-root")
        w.targets.CopyFrom(N.Targets(cgroups=["/"]))
        info = api.n_create(N.CreateWatchRequest(watch=w), timeout=10)
        self.assertEqual(info.cgroups[0].id, os.stat(cgroup2_root()).st_ino)


class Listeners(AuthzCase):
    def test_default_socket_and_panoptesctl(self):
        if os.path.exists(DEFAULT_SOCKET):
            self.skipTest(f"{DEFAULT_SOCKET} exists: another agent may serve it")
        self.agent = PlainAgent(["--pin-path", "", "--listen", ""] + self.operator_args(),
                                output="text")
        st = os.lstat(DEFAULT_SOCKET)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid), (0o600, 0))
        self.assertEqual(tcp_listeners(self.agent.proc.pid),
                         {("127.0.0.1", int(self.agent.metrics_addr.rsplit(":", 1)[1]))},
                         "--listen \"\": no gRPC on TCP")
        self.assertIn(f"grpc unix:{DEFAULT_SOCKET} (local)", "\n".join(self.agent.stderr_lines))
        env = {k: v for k, v in os.environ.items() if k != "PANOPTES_SERVER"}
        code, out, err = ctl("status", "--output", "json", env=env)
        self.assertEqual((code, err), (0, ""))
        st = json.loads(out)
        self.assertEqual((st["watches"], st["insecure_listen"]), (3, False))
        # the operator's watches, read-only from the socket too
        code, out, err = ctl("watch", "delete", "flags-w", env=env)
        self.assertEqual((code, out, err), (1, "", (
            'panoptesctl: PERMISSION_DENIED: DeleteWatch: watch "flags-w" belongs to the '
            "operator (origin flags): read-only over the API\n")))
        self.agent.stop_clean()
        self.agent = None
        self.assertFalse(os.path.lexists(DEFAULT_SOCKET), "the socket is removed at stop")

    def test_default_tcp_is_loopback(self):
        self.agent = PlainAgent(["--pin-path", "", "--socket", ""] + self.operator_args(),
                                output="text")
        got = tcp_listeners(self.agent.proc.pid)
        metrics = ("127.0.0.1", int(self.agent.metrics_addr.rsplit(":", 1)[1]))
        self.assertEqual(got - {metrics}, {("127.0.0.1", 50051)})
        api = self.api_on("127.0.0.1:50051")
        self.assertEqual(api.status().insecure_listen, False)
        self.assertEqual(self.agent.metrics()["panoptes_grpc_insecure_listen"], 0)

    def assertOneLineError(self, args, code, line):
        """Exit `code` with one error line; a usage error (2) says nothing else."""
        rc, out, err = run_cli(["--pin-path", "", "--metrics-listen", ""] + args)
        lines = [l for l in err.splitlines() if l.strip()]
        if code != 2:  # it got as far as loading the programs: their notes come first
            lines = [l for l in lines if l.startswith("panoptesd: error: ")]
        self.assertEqual((rc, out, lines), (code, "", [line]), args)

    def test_network_address_needs_mutual_tls(self):
        p, port = self.pki, 1  # never bound: refused before anything starts
        tls = ["-tls", "-tlscertfile", p.server, "-tlskeyfile", p.server_key]
        for host in ("0.0.0.0", "[::]", "192.0.2.2", "example.org", "[::ffff:10.0.0.1]"):
            addr = f"{host}:{port}"
            for extra in ([], tls):  # TLS without client certificates is not enough
                with self.subTest(addr=addr, tls=bool(extra)):
                    self.assertOneLineError(
                        ["--listen", addr] + extra, 2,
                        f"panoptesd: error: --listen {addr}: not a loopback address: serving "
                        "the API there needs mutual TLS (-tls -tlscafile -tlscertfile "
                        f"-tlskeyfile), or --insecure-listen {addr} to serve it without "
                        "client certificates")
        self.assertOneLineError(
            ["--insecure-listen", "0.0.0.0:1", "--listen", "127.0.0.1:1"], 2,
            "panoptesd: error: --insecure-listen: replaces --listen (one TCP listener): give "
            "one of them")
        self.assertOneLineError(
            ["--authz-file", self.policy], 2,
            "panoptesd: error: --authz-file: gives roles to client certificates: needs mutual "
            "TLS (-tls -tlscafile)")
        self.assertOneLineError(
            ["--socket", "run/p.sock"], 2,
            'panoptesd: error: --socket: expected an absolute path or "", got "run/p.sock"')
        bad = os.path.join(self.d, "bad-authz.yaml")
        with open(bad, "w") as f:
            f.write("roles:\n  client: admin\n")
        self.assertOneLineError(
            ["--listen", f"127.0.0.1:{port}", "--socket", "", "--watch-cgroup", self.cg.path,
             "--path", self.d] + tls + ["-tlscafile", p.ca, "--authz-file", bad], 1,
            f"panoptesd: error: {bad}:2:11: roles.client: expected none, read or manage")

    def test_insecure_listen(self):
        self.start(listen=("--insecure-listen", "0.0.0.0"))
        self.assertIn(f"panoptesd: warning: --insecure-listen 0.0.0.0:{self.agent.port}: the "
                      "gRPC API is served there without client certificates: whoever reaches "
                      "it may create, change and delete watches and read every event",
                      self.agent.stderr_lines)
        wild = tcp_listeners(self.agent.proc.pid) - {
            ("127.0.0.1", int(self.agent.metrics_addr.rsplit(":", 1)[1]))}
        self.assertIn(wild, ({("0.0.0.0", self.agent.port)}, {("::", self.agent.port)}),
                      "one listener, on every address")
        api = self.api_on(self.agent.addr)
        self.assertIs(api.status().insecure_listen, True)
        self.assertEqual(self.agent.metrics()["panoptes_grpc_insecure_listen"], 1)
        code, out, err = ctl("--server", self.agent.addr, "status")
        self.assertEqual((code, err), (0, ""))
        self.assertIn("insecure listen  yes\n", out)
        ip = network_ip()
        if ip:
            # a client from the network, without a certificate: what the flag lets in
            remote = self.api_on(f"{ip}:{self.agent.port}")
            self.run_matrix(remote)

    def test_socket_is_never_taken_over(self):
        self.start()
        st = os.lstat(self.agent.socket)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.agent.sock_dir).st_mode), 0o700)
        # a second agent on a live socket: refused, the first keeps it
        self.assertOneLineError(
            ["--socket", self.agent.socket, "--listen", "", "--watch-cgroup", self.cg.path,
             "--path", self.d], 1,
            f"panoptesd: error: --socket {self.agent.socket}: another process serves it "
            '(another panoptesd?); give another --socket, or --socket ""')
        self.assertEqual(os.lstat(self.agent.socket).st_ino, st.st_ino)
        self.assertEqual(self.socket_api().status().watches, 3)
        # not a socket: refused, left alone
        plain = os.path.join(self.d, "file.sock")
        with open(plain, "w") as f:
            f.write("x")
        self.assertOneLineError(
            ["--socket", plain, "--listen", "", "--watch-cgroup", self.cg.path, "--path",
             self.d], 1, f"panoptesd: error: --socket {plain}: exists and is not a socket")
        self.assertTrue(os.path.isfile(plain))
        # a stale socket (its server gone, as after a crash) is replaced
        stale = os.path.join(self.d, "stale.sock")
        s = socket.socket(socket.AF_UNIX)
        s.bind(stale)
        s.close()
        second = PlainAgent(["--pin-path", "", "--socket", stale, "--listen", "",
                        "--watch-cgroup", self.cg.path, "--path", self.d], output="text")
        try:
            self.assertEqual(Api(self.track(channel("unix:" + stale))).status().watches, 1)
        finally:
            second.stop_clean()
        self.assertFalse(os.path.lexists(stale))

    def track(self, ch):
        self.channels.append(ch)
        return ch


if __name__ == "__main__":
    unittest.main(verbosity=2)
