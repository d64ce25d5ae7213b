#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The vfs backend (fentry/fexit + BPF LSM) and the choice between backends.

On every kernel: `--backend auto` picks vfs exactly when `--backend vfs`
starts, and a kernel that refuses vfs gets one line saying what is missing.
Where vfs runs (the VM matrix boots kernels that allow it, tests/vm): what
the syscalls backend cannot see, io_uring requests; overlayfs operations
reported once with the paths the process sees; opens through symlinks
naming the file reached and the name used."""
import os
import subprocess
import unittest

from pn_e2e import WORKLOAD, BACKEND, Agent, AgentCase, brief, run_cli
from runc_bundle import RuncContainer

URING = os.environ.get("PN_URING", "pn_uring")
QUIET = ["--pin-path", "", "--metrics-listen", "", "--listen", "", "--socket", ""]
# loads the programs, then fails on a target that cannot exist
PROBE = ["--watch-pid", "999999", "--path", "/x"] + QUIET


def vfs_refusal():
    """None where `--backend vfs` starts on this kernel, else its error line."""
    rc, _, err = run_cli(["--backend", "vfs"] + PROBE)
    errors = [l for l in err.splitlines() if l.startswith("panoptesd: error: ")]
    if rc == 1 and errors and "pid 999999: no such process" in errors[0]:
        return None
    return errors[0] if errors else f"exit {rc}: {err}"


REFUSAL = vfs_refusal()


class BackendChoice(unittest.TestCase):
    def test_auto_picks_vfs_where_it_runs_else_syscalls(self):
        rc, _, err = run_cli(["--backend", "auto"] + PROBE)
        self.assertEqual(rc, 1, err)
        self.assertNotIn("libbpf:", err)  # a refusal is an answer, not noise
        choice = [l for l in err.splitlines() if " backend " in l and "(auto)" in l]
        self.assertEqual(len(choice), 1, err)
        if REFUSAL is None:
            self.assertRegex(choice[0], r"backend vfs \(auto\): fentry/fexit and BPF LSM")
        else:
            reason = REFUSAL.split("--backend vfs: ", 1)[1].split("; nothing was started")[0]
            self.assertEqual(choice[0],
                             f"panoptesd: backend syscalls (auto): vfs unavailable: {reason}")

    def test_refused_vfs_says_what_is_missing(self):
        if REFUSAL is None:
            self.skipTest("this kernel runs the vfs backend")
        rc, out, err = run_cli(["--backend", "vfs"] + PROBE)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertNotIn("libbpf:", err)
        self.assertEqual([l for l in err.splitlines() if "error" in l], [REFUSAL])
        self.assertRegex(REFUSAL, r"^panoptesd: error: --backend vfs: (BPF LSM is not active|"
                         r"the kernel refused the vfs programs|the kernel has no |cannot read)")
        self.assertIn("--backend syscalls works on this kernel", REFUSAL)

    def test_matrix_asked_for_vfs(self):
        """The VM matrix runs this file with PN_BACKEND=vfs only on kernels that allow it."""
        if BACKEND != "vfs":
            self.skipTest("PN_BACKEND is not vfs")
        self.assertIsNone(REFUSAL)


@unittest.skipIf(REFUSAL is not None, f"vfs backend not available here: {REFUSAL}")
class VfsEvents(AgentCase):
    cgroup_name = "vfs"

    def start(self, path, *extra):
        self.agent = Agent(["--backend", "vfs", "--watch-cgroup", self.cg.path, "--path", path,
                            "--recursive"] + list(extra))
        self.assertEqual(self.agent.backend, "vfs")
        return self.agent

    def test_io_uring_like_syscall_twins(self):
        d = self.tmp.path
        agent = self.start(d)
        pid, rc = self.cg.run([URING, d], check=False)
        expected = [
            ("CREATE", f"{d}/u"), ("OPEN", f"{d}/u"), ("MODIFY", f"{d}/u"),
            ("CLOSE_WRITE", f"{d}/u"),
            ("OPEN", f"{d}/u"), ("ACCESS", f"{d}/u"), ("CLOSE_NOWRITE", f"{d}/u"),
        ]
        # 3: the kernel's io_uring has no name operations (before 5.15)
        self.assertIn(rc, (0, 3))
        if rc == 0:
            expected += [
                ("CREATE", f"{d}/ud"),
                ("MOVED_FROM", f"{d}/u"), ("MOVED_TO", f"{d}/ud/v"),
                ("DELETE", f"{d}/ud/v"), ("DELETE", f"{d}/ud"),
            ]
        agent.wait_for(lambda ev: len(ev) >= len(expected), timeout=20)
        events = agent.settle()
        self.assertEqual(brief(events), expected)
        # io_uring may run a request on a worker thread of the process (iou-wrk-PID)
        self.assertEqual({e["tgid"] for e in events}, {pid})
        self.assertEqual({e["path"] for e in events if e["is_dir"]},
                         {f"{d}/ud"} if rc == 0 else set())
        code, _ = agent.stop()
        self.assertEqual(code, 0)
        self.assertEqual(agent.counters()["dropped"], 0)

    def test_symlinks_report_the_file_reached(self):
        d = self.tmp.path
        os.mkdir(f"{d}/real")
        with open(f"{d}/real/f", "w") as f:
            f.write("x")
        os.symlink("real/f", f"{d}/lf")
        os.symlink("real", f"{d}/ldir")
        agent = self.start(d, "--events", "open,create,closenowrite,closewrite")
        self.cg.run([WORKLOAD, f"read:{d}/lf", f"create:{d}/ldir/new", f"read:{d}/real/f"])
        expected = [
            ("OPEN", f"{d}/real/f"), ("CLOSE_NOWRITE", f"{d}/real/f"),
            ("CREATE", f"{d}/real/new"), ("OPEN", f"{d}/real/new"),
            ("CLOSE_WRITE", f"{d}/real/new"),
            ("OPEN", f"{d}/real/f"), ("CLOSE_NOWRITE", f"{d}/real/f"),
        ]
        agent.wait_for(lambda ev: len(ev) >= len(expected))
        events = agent.settle()
        self.assertEqual(brief(events), expected)
        # the name used rides along where it differs from the file reached, on the open
        self.assertEqual([e.get("named_path") for e in events],
                         [f"{d}/lf", None, f"{d}/ldir/new", f"{d}/ldir/new", None, None, None])

    def overlay(self, d):
        for sub in ("lower", "upper", "work", "merged"):
            os.mkdir(f"{d}/{sub}")
        for name in ("old", "keep"):
            with open(f"{d}/lower/{name}", "w") as f:
                f.write("lower\n")
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        f"lowerdir={d}/lower,upperdir={d}/upper,workdir={d}/work",
                        f"{d}/merged"], check=True)
        self.addCleanup(subprocess.run, ["umount", f"{d}/merged"], capture_output=True)
        return f"{d}/merged"

    def test_overlayfs_operations_once(self):
        """The watch covers the layers too: overlayfs' own work on its upper layer
        (copy-up, the repeated rename, chmod, unlink) must not come out a second time."""
        d = self.tmp.path
        m = self.overlay(d)
        agent = self.start(d)
        self.cg.run([WORKLOAD, f"create:{m}/new", f"write:{m}/old:x", f"read:{m}/keep",
                     f"chmod:{m}/new:600", f"trunc:{m}/keep", f"rename:{m}/new:{m}/new2",
                     f"unlink:{m}/old", f"mkdir:{m}/dd", f"rmdir:{m}/dd"])
        expected = [
            ("CREATE", f"{m}/new"), ("OPEN", f"{m}/new"), ("CLOSE_WRITE", f"{m}/new"),
            ("OPEN", f"{m}/old"), ("MODIFY", f"{m}/old"), ("CLOSE_WRITE", f"{m}/old"),
            ("OPEN", f"{m}/keep"), ("ACCESS", f"{m}/keep"), ("CLOSE_NOWRITE", f"{m}/keep"),
            ("ATTRIB", f"{m}/new"),
            ("MODIFY", f"{m}/keep"), ("OPEN", f"{m}/keep"), ("CLOSE_WRITE", f"{m}/keep"),
            ("MOVED_FROM", f"{m}/new"), ("MOVED_TO", f"{m}/new2"),
            ("DELETE", f"{m}/old"),
            ("CREATE", f"{m}/dd"), ("DELETE", f"{m}/dd"),
        ]
        agent.wait_for(lambda ev: len(ev) >= len(expected))
        self.assertEqual(brief(agent.settle()), expected)

    def test_container_on_overlayfs_sees_its_own_paths(self):
        c = RuncContainer("vfsovl", [
            "/pn_workload", "create:/data/a", "write:/data/seed:x", "rename:/data/a:/data/b",
            "unlink:/data/seed", "create:/tmp/not-watched"],
            extra_files=[(WORKLOAD, "/pn_workload")], overlay=True)
        self.addCleanup(c.delete)
        with open(os.path.join(c.rootfs, "data", "seed"), "w") as f:
            f.write("lower\n")
        c.create()
        self.agent = Agent(["--backend", "vfs", "--watch-container", f"runc://{c.id}",
                            "--path", "/data", "--recursive", "--events",
                            "create,modify,move,delete"])
        c.start()
        expected = [("CREATE", "/data/a"), ("MODIFY", "/data/seed"),
                    ("MOVED_FROM", "/data/a"), ("MOVED_TO", "/data/b"), ("DELETE", "/data/seed")]
        self.agent.wait_for(lambda ev: len(ev) >= len(expected), timeout=20)
        events = self.agent.settle()
        self.assertEqual(brief(events), expected)
        self.assertEqual({e["comm"] for e in events}, {"pn_workload"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
