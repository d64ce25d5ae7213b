#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The README's demo command works: scripts/demo shows live events with
process names from a real runc container, then cleans up after itself."""
import os
import re
import subprocess
import unittest

from pn_e2e import PANOPTESD

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class Demo(unittest.TestCase):
    def test_demo_streams_events(self):
        env = dict(os.environ, BUILD_DIR=os.path.dirname(PANOPTESD))
        p = subprocess.run([os.path.join(ROOT, "scripts", "demo"), "--no-build", "--duration",
                            "3"], capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        pat = re.compile(r"^\S+Z (\w+) (file|directory) (/data/\S*) pid=\d+ comm=(\S+) app=demo$")
        parsed = [pat.match(l) for l in lines]
        self.assertTrue(lines and all(parsed), p.stdout)
        seen = {(m.group(1), m.group(3), m.group(4)) for m in parsed}
        for want in [("CREATE", "/data/app.log", "app"), ("MODIFY", "/data/app.log", "app"),
                     ("CREATE", "/data/cache/1", "mkdir"),
                     ("MOVED_TO", "/data/cache/1/item.done", "mv"),
                     ("ATTRIB", "/data/cache/1/item.done", "chmod"),
                     ("DELETE", "/data/cache/1", "rm")]:
            self.assertIn(want, seen)
        self.assertFalse(any("/tmp/scratch" in l for l in lines))
        self.assertIn("ready:", p.stderr)
        left = subprocess.run(["runc", "list", "-q"], capture_output=True, text=True).stdout
        self.assertNotIn("panoptes-demo", left)


if __name__ == "__main__":
    unittest.main(verbosity=2)
