#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Bad input and missing kernel features: one clear line, a non-zero exit,
and nothing left loaded in the kernel."""
import os
import re
import subprocess
import tempfile
import time
import unittest

from pn_e2e import PANOPTESD, Cgroup, run_cli


def loaded_programs():
    out = subprocess.run(["bpftool", "prog", "show"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if re.search(r"name pn_", l)]


class Cli(unittest.TestCase):
    def setUp(self):
        # Programs of an agent already running on this machine are not ours to count.
        self.before = set(loaded_programs())

    def left_loaded(self):
        # The kernel frees a program from a work item after its last fd closes:
        # give it a moment before calling it left behind.
        deadline = time.monotonic() + 3
        while True:
            left = sorted(set(loaded_programs()) - self.before)
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.05)

    def assertOneLineError(self, args, code, pattern):
        rc, out, err = run_cli(args)
        self.assertEqual(rc, code, err)
        lines = [l for l in err.splitlines() if l.strip()]
        errors = [l for l in lines if l.startswith("panoptesd: error: ")]
        self.assertEqual(len(errors), 1, err)
        self.assertRegex(errors[0], pattern)
        self.assertEqual(out, "")
        self.assertEqual(self.left_loaded(), [], "a failed start left programs loaded")
        return errors[0]

    def test_unknown_event_lists_valid_names(self):
        line = self.assertOneLineError(["--watch-pid", "1", "--path", "/etc", "--events", "modfy"],
                                       2, r'--events: unknown event "modfy"')
        for name in ("access", "closewrite", "deleteself", "moveself", "all"):
            self.assertIn(name, line)

    def test_relative_and_empty_paths(self):
        self.assertOneLineError(["--watch-pid", "1", "--path", "etc"], 2,
                                r'--path: path must be absolute, got "etc"')
        self.assertOneLineError(["--watch-pid", "1", "--path", ""], 2,
                                r'--path: path must be absolute, got ""')

    def test_flag_values(self):
        self.assertOneLineError(["--watch-pid", "abc", "--path", "/x"], 2,
                                r'--watch-pid: not a process id: "abc"')
        self.assertOneLineError(["--watch-pid", "1", "--path", "/x", "--recursive",
                                 "--max-depth", "-1"], 2, r"--max-depth: .*-1")
        self.assertOneLineError(["--watch-pid", "1", "--path", "/x", "--output", "xml"], 2,
                                r'--output: expected text or json, got "xml"')
        self.assertOneLineError(["--watch-pid", "1", "--path", "/x", "--format", "{evnt}"], 2,
                                r"--format: .*evnt")
        self.assertOneLineError(["--watch-pid", "1", "--path", "/x", "--tag", "novalue"], 2,
                                r'--tag: expected KEY=VALUE, got "novalue"')
        self.assertOneLineError(["--path", "/x"], 2, r"need a target")
        # with the gRPC API on (the default) no watch is needed at start; without it (no TCP
        # listener, no socket), one is
        self.assertOneLineError(["--listen", "", "--socket", ""], 2,
                                r"nothing to watch and no gRPC API")
        self.assertOneLineError(["--bogus"], 2, r'unknown option "--bogus"')

    def test_missing_targets(self):
        self.assertOneLineError(["--watch-pid", "999999", "--path", "/x"], 1,
                                r"pid 999999: no such process")
        self.assertOneLineError(["--watch-cgroup", "/panoptes-no-such-cgroup", "--path", "/x"], 1,
                                r"cgroup /panoptes-no-such-cgroup: not found")
        self.assertOneLineError(["--watch-container", "containerd://0123456789abcdef",
                                 "--path", "/x"], 1,
                                r"container containerd://0123456789abcdef: no cgroup found")
        self.assertOneLineError(["--watch-container", "podman://x", "--path", "/x"], 1,
                                r'unknown container runtime "podman"')

    def test_policy_errors_name_line_and_column(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("name: w\ntargets:\n  pids: [1]\nsubjects:\n  - paths: [/etc]\n"
                    "    events: [modfy]\n")
        try:
            self.assertOneLineError(["--policy", f.name], 1,
                                    re.escape(f.name) + r':6:\d+: .*unknown event "modfy"')
            with open(f.name, "w") as g:
                g.write("name: w\ntargets: [\n")
            self.assertOneLineError(["--policy", f.name], 1, re.escape(f.name) + r":\d+:\d+: ")
            os.chmod(f.name, 0)
        finally:
            os.unlink(f.name)
        self.assertOneLineError(["--policy", f.name], 1,
                                re.escape(f.name) + r": No such file or directory")

    def test_subject_rules_flags_and_policy(self):
        """maxDepth without recursive and a tag key twice: refused by the flags and by a
        policy file alike, naming the flag or FILE:LINE:COL and the key path."""
        self.assertOneLineError(["--watch-pid", "1", "--path", "/x", "--max-depth", "2"], 2,
                                r"error: --max-depth: only meaningful with --recursive$")
        self.assertOneLineError(["--watch-pid", "1", "--path", "/x", "--tag", "team=web",
                                 "--tag", "team=db"], 2,
                                r'error: --tag: key "team" given twice$')
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("name: w\ntargets:\n  pids: [1]\nsubjects:\n  - paths: [/etc]\n"
                    "    maxDepth: 2\n")
        try:
            self.assertOneLineError(["--policy", f.name], 1, re.escape(f.name) +
                                    r":6:15: subjects\[0\]\.maxDepth: only meaningful with "
                                    r"recursive$")
            with open(f.name, "w") as g:
                g.write("name: w\ntargets:\n  pids: [1]\nsubjects:\n  - paths: [/etc]\n"
                        "    tags: {team: web, team: db}\n")
            self.assertOneLineError(["--policy", f.name], 1, re.escape(f.name) +
                                    r':6:23: subjects\[0\]\.tags: duplicate key "team"$')
        finally:
            os.unlink(f.name)

    def test_no_btf(self):
        """BTF hidden in a private mount namespace: the kernel really has none for us."""
        script = ("mount --make-rprivate / && mount -t tmpfs none /sys/kernel/btf && "
                  f"exec {PANOPTESD} --watch-pid 1 --path /etc")
        p = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("has no BTF", p.stderr)
        self.assertIn("CONFIG_DEBUG_INFO_BTF", p.stderr)
        self.assertEqual(self.left_loaded(), [])

    def test_no_bpf_permission(self):
        cg = Cgroup("perm")
        try:
            # no pins: where no bpf filesystem is mounted yet, mounting one would fail first
            p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                "--inh-caps=-all", PANOPTESD, "--watch-cgroup", cg.path,
                                "--path", "/etc", "--pin-path", ""],
                               capture_output=True, text=True)
        finally:
            cg.close()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr, r"error: no permission to load BPF programs .*CAP_BPF")
        self.assertEqual(self.left_loaded(), [])

    def test_default_state_dir_read_only(self):
        """/var/lib read-only (a read-only root, the DaemonSet's mount missing): the default
        state dir is said once and the agent goes on; the same dir asked for is an error."""
        probe = ["--watch-pid", "999999", "--path", "/x"]
        script = ("mount --make-rprivate / && mount -t tmpfs -o ro none /var/lib && "
                  f'exec {PANOPTESD} "$@"')
        for asked in ([], ["--state-dir", "/var/lib/panoptes"]):
            p = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh"] + probe + asked,
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 1, p.stderr)
            errors = [l for l in p.stderr.splitlines() if l.startswith("panoptesd: error: ")]
            said = [l for l in p.stderr.splitlines() if "/var/lib/panoptes" in l]
            self.assertEqual(len(errors), 1, p.stderr)
            if asked:
                self.assertEqual(errors[0], "panoptesd: error: --state-dir /var/lib/panoptes: "
                                 "Read-only file system")
            else:
                # it went on to the watch, which fails as the probe means it to
                self.assertIn("pid 999999: no such process", errors[0])
                self.assertEqual(len(said), 1, p.stderr)
                self.assertRegex(said[0], r"^panoptesd: warning: --state-dir /var/lib/panoptes: "
                                 r"Read-only file system: watches created over gRPC .* are not "
                                 r"kept for the next agent")
        self.assertEqual(self.left_loaded(), [])

    def test_help_documents_every_flag(self):
        rc, out, _ = run_cli(["--help"])
        self.assertEqual(rc, 0)
        for flag in ("--policy", "--watch-pid", "--watch-cgroup", "--watch-container", "--path",
                     "--events", "--recursive", "--max-depth", "--ignore", "--only-dir",
                     "--follow-move", "--tag", "--format", "--name", "--pod", "--output",
                     "--node-name", "--backend", "--ringbuf-mb", "--verbose", "--version"):
            self.assertIn(flag, out)
        with open(os.path.join(os.path.dirname(__file__), "../../src/panoptesd/options.c")) as f:
            src = f.read()
        declared = set(re.findall(r'\{ "([a-z-]+)", (?:required|no)_argument', src))
        self.assertEqual({f for f in declared if f"--{f}" not in out}, set())


if __name__ == "__main__":
    unittest.main(verbosity=2)
