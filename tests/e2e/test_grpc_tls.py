#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Mutual TLS with argusd's flags: certificates made by openssl here; a client
with a certificate from the agent's CA gets in, a client without one, with one
from another CA, or without TLS at all does not; -tls without its files is a
one-line error and exit code 2."""
import unittest

import grpc

from pn_e2e import run_cli
from pn_grpc import NODE, Api, GrpcAgent, GrpcCase, free_port, tls_creds


class Tls(GrpcCase):
    cgroup_name = "grpc-tls"

    def setUp(self):
        super().setUp()
        self.sleeper = self.add_sleeper()

    def tls_channel(self, creds):
        ch = grpc.secure_channel(self.agent.addr, creds)
        self.channels.append(ch)
        return ch

    def plain_channel(self):
        ch = grpc.insecure_channel(self.agent.addr)
        self.channels.append(ch)
        return ch

    def assertRefused(self, ch, what):
        api = Api(ch)
        with self.assertRaises(grpc.RpcError, msg=what) as cm:
            api.check(api.H.HealthCheckRequest(), timeout=5)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE,
                         f"{what}: {cm.exception.details()}")

    def assertWorks(self, ch):
        api = Api(ch)
        A, H = api.A, api.H
        self.assertEqual(api.check(H.HealthCheckRequest(), timeout=10).status,
                         H.HealthCheckResponse.SERVING)
        h = api.create_watch(A.ArgusdConfig(
            pid=[self.sleeper.pid], podName="pod-tls",
            subject=[A.ArgusWatcherSubject(path=[self.tmp.path], event=["create"])]),
            timeout=10)
        self.assertEqual((h.nodeName, h.podName, list(h.pid)),
                         (NODE, "pod-tls", [self.sleeper.pid]))
        self.assertEqual(api.watch_state(), [h])

    def start(self, style="single"):
        p = self.pki
        if style == "single":
            args = ["-tls", "-tlscafile", p.ca, "-tlscertfile", p.server, "-tlskeyfile",
                    p.server_key]
        else:  # GNU style
            args = ["--tls", f"--tlscafile={p.ca}", f"--tlscertfile={p.server}",
                    f"--tlskeyfile={p.server_key}"]
        self.agent = GrpcAgent(args)

    def test_mutual_tls(self):
        self.start()
        p = self.pki
        # refusals first: none of them may leave anything behind
        self.assertRefused(self.tls_channel(tls_creds(ca=p.ca)), "no client certificate")
        self.assertRefused(self.tls_channel(tls_creds(ca=p.ca, cert=p.other_client,
                                                      key=p.other_client_key)),
                           "client certificate from another CA")
        self.assertRefused(self.plain_channel(), "plaintext client")
        self.assertWorks(self.tls_channel(tls_creds(ca=p.ca, cert=p.client, key=p.client_key)))
        # a client that does not trust the agent's CA does not talk to it either
        self.assertRefused(self.tls_channel(tls_creds(ca=p.other_ca, cert=p.client,
                                                      key=p.client_key)),
                           "client trusting another CA")
        self.agent.stop_clean()

    def test_gnu_style_flags(self):
        self.start("gnu")
        p = self.pki
        self.assertRefused(self.plain_channel(), "plaintext client")
        self.assertWorks(self.tls_channel(tls_creds(ca=p.ca, cert=p.client, key=p.client_key)))

    def test_tls_without_files(self):
        p = self.pki
        base = ["--pin-path", "", "--metrics-listen", "", "--listen", f"127.0.0.1:{free_port()}"]
        for extra, flag in ((["-tls"], "-tls"),
                            (["-tls", "-tlscertfile", p.server], "-tlskeyfile"),
                            (["-tls", "-tlskeyfile", p.server_key], "-tlscertfile")):
            with self.subTest(extra=extra):
                rc, out, err = run_cli(base + extra)
                self.assertEqual(rc, 2, err)
                lines = [l for l in err.splitlines() if l.strip()]
                self.assertEqual(len(lines), 1, err)
                self.assertTrue(lines[0].startswith("panoptesd: error: "), lines[0])
                self.assertIn(flag, lines[0])
                self.assertEqual(out, "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
