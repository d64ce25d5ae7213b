#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Probes a scraper cannot take down, and refusals that cannot fill the log
(issue 14), end to end against a real panoptesd:
- slow connections (half a request header, then silence or a byte now and
  then) to the metrics port and to the probe listener: the per-address limit
  holds exactly 8 (metrics) and 4 (probes) of them per address and closes the
  rest at once; meanwhile the kubelet's /healthz and /readyz on
  --probe-listen answer 200 within 1 s, 30 of 30 each, from an address the
  attackers share; /metrics is served to a client at another address during
  the attack, and to every address once the idle ones time out;
- the probe listener serves the probes only;
- 1000 refused calls write at most 10 lines a second, and every refusal not
  written is counted in a line that says so: lines + counts = calls."""
import http.client
import re
import socket
import time
import unittest

from pn_e2e import free_port
from pn_grpc import GrpcCase, rpc_error

# The limits of src/services/metrics.c (docs/operations.md, "Metrics and probes")
METRICS_PER_IP, METRICS_IDLE_S = 8, 5
PROBES_PER_IP = 4
LOG_LINES_PER_S = 10  # PN_LOG_LIMIT_LINES, src/lib/log.h

KUBELET = "127.0.0.1"  # the agent's loopback peers all share this address
OTHER = "127.0.0.2"  # a well-behaved scraper elsewhere
ATTACKERS = [f"127.0.0.{i}" for i in range(10, 26)]


def get(port, path, src, timeout):
    """(status, body, seconds) of GET http://127.0.0.1:port/path from address src."""
    t = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(src, 0))
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode(), time.monotonic() - t
    finally:
        conn.close()


def slow(port, src):
    """A connection from src that sends half a request header and stops there."""
    s = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=(src, 0))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: panoptes\r\nX-Slow: ")
    s.setblocking(False)  # for is_open's peek and the trickle's one byte
    return s


def is_open(s):
    """Whether the agent still holds s (it never answers half a header)."""
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except ConnectionError:
        return False


def wait_open(socks, n, timeout=5):
    """Waits until exactly n of socks are held; returns how many are."""
    deadline = time.monotonic() + timeout
    while True:
        held = sum(map(is_open, socks))
        if held == n or time.monotonic() > deadline:
            return held
        time.sleep(0.05)


class ProbesTest(GrpcCase):
    cgroup_name = "probes"

    def setUp(self):
        super().setUp()
        self.socks = []
        self.probe_port = free_port()
        self.start_agent("--probe-listen", f"127.0.0.1:{self.probe_port}")
        self.metrics_port = int(self.agent.metrics_addr.rsplit(":", 1)[1])

    def tearDown(self):
        for s in self.socks:
            s.close()
        super().tearDown()

    def test_slow_scrapers_cannot_fail_the_probes(self):
        # 64 from the kubelet's own address to the metrics port: 8 held
        metrics_slow = [slow(self.metrics_port, KUBELET) for _ in range(64)]
        # 8 from each of 16 addresses to the probe listener, trickling: 4 each held
        probe_slow = [slow(self.probe_port, a) for a in ATTACKERS for _ in range(8)]
        self.socks += metrics_slow + probe_slow
        self.assertEqual(wait_open(metrics_slow, METRICS_PER_IP), METRICS_PER_IP)
        self.assertEqual(wait_open(probe_slow, PROBES_PER_IP * len(ATTACKERS)),
                         PROBES_PER_IP * len(ATTACKERS))
        # the attack is real: the metrics port has no slot left for this address
        with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
            get(self.metrics_port, "/healthz", KUBELET, 1)

        slow_probes = []
        for i in range(30):
            for path in ("/healthz", "/readyz"):
                status, body, took = get(self.probe_port, path, KUBELET, 1)
                self.assertEqual((status, body), (200, "ok\n"), f"{path}, probe {i}")
                slow_probes += [(path, i, took)] if took >= 1 else []
            for s in probe_slow:  # a byte now and then: never idle
                if is_open(s):
                    s.send(b"a")
            time.sleep(0.1)
        self.assertEqual(slow_probes, [])
        self.assertEqual(sum(map(is_open, probe_slow)), PROBES_PER_IP * len(ATTACKERS),
                         "trickling connections are held, within the per-address limit")

        # another address scrapes meanwhile
        status, body, _ = get(self.metrics_port, "/metrics", OTHER, 5)
        self.assertEqual(status, 200)
        self.assertIn("panoptes_build_info{", body)
        # the probe listener serves nothing else
        self.assertEqual(get(self.probe_port, "/metrics", KUBELET, 5)[:2], (404, "not found\n"))

        # the silent ones are closed after the idle time; the address is served again
        self.assertEqual(wait_open(metrics_slow, 0, timeout=METRICS_IDLE_S + 5), 0)
        status, body, _ = get(self.metrics_port, "/metrics", KUBELET, 5)
        self.assertEqual(status, 200)
        self.assertIn("panoptes_build_info{", body)

    def test_refusals_cannot_fill_the_log(self):
        api = self.api
        line = ('panoptesd: grpc /panoptes.v1.Agent/DeleteWatch: NOT_FOUND: name: '
                'no watch named "no-such-watch"')
        count = re.compile(r"^panoptesd: (\d+) more lines like the next were suppressed "
                           rf"\(at most {LOG_LINES_PER_S} a second\)$")

        def refuse():
            e = rpc_error(api.n_delete, api.N.DeleteWatchRequest(name="no-such-watch"))
            self.assertEqual(e.code().name, "NOT_FOUND")

        t = time.monotonic()
        for _ in range(1000):
            refuse()
        took = time.monotonic() - t
        # a window later, one more: written, after the count of what was held back
        time.sleep(1.1)
        refuse()

        def log():
            return [l for l in self.agent.stderr_lines if l == line or count.match(l)]

        deadline = time.monotonic() + 10
        while not (len(log()) >= 2 and count.match(log()[-2])) and time.monotonic() < deadline:
            time.sleep(0.05)
        log = log()
        written = sum(l == line for l in log)
        held = sum(int(count.match(l).group(1)) for l in log if count.match(l))
        # at most 10 lines per one-second window the calls spanned, plus the last one
        self.assertLessEqual(written, LOG_LINES_PER_S * (int(took) + 2) + 1, log)
        self.assertGreaterEqual(held, 1000 - LOG_LINES_PER_S * (int(took) + 2))
        self.assertEqual(written + held, 1001, log)
        # the count comes just before the line that resumed
        self.assertTrue(count.match(log[-2]), log[-3:])
        self.assertEqual(log[-1], line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
