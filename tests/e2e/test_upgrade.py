#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""An upgrade as a DaemonSet rolling update does it: the previous commit's
panoptesd (built here from git, PN_UPGRADE_FROM to choose another) runs with
--keep-on-exit and a watch created over gRPC, stops, 10,000 files are created
while no agent runs, and this tree's panoptesd starts on the same pins and
state directory. Where the kernel side is the same build (no change under
bpf/ or vmlinux/ between the two), it must adopt the pinned programs and
report every one of those events once, in order, with the restored watch;
where it differs, it must say that it replaced them and since when events
were lost. A previous commit without the handover leaves pins without a
handover record, which must be replaced. Plain tree only (one build of the
old commit, ~40 s on two cores)."""
import os
import shutil
import subprocess
import tempfile
import unittest

import test_restart
from pn_e2e import programs_named
from pn_grpc import GrpcAgent

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PIN = test_restart.PIN


def git(*args):
    return subprocess.run(["git", "-C", REPO] + list(args), capture_output=True, text=True)


def build_base(rev, where):
    """panoptesd of commit rev, built in where; its path."""
    src, build = os.path.join(where, "src"), os.path.join(where, "build")
    os.mkdir(src)
    subprocess.run(f"git -C {REPO} archive {rev} | tar -x -C {src}", shell=True, check=True)
    subprocess.run(["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                   check=True, capture_output=True)
    r = subprocess.run(["cmake", "--build", build, "-j", str(os.cpu_count()), "--target",
                        "panoptesd"], capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"building {rev} failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}")
    return os.path.join(build, "panoptesd")


class OldAgent(GrpcAgent):
    """GrpcAgent running another binary."""

    def __init__(self, binary, args, handover, output="json"):
        import pn_e2e
        saved = pn_e2e.PANOPTESD
        pn_e2e.PANOPTESD = binary
        self.state_dir_flag = handover
        try:
            super().__init__(args, output=output)
        finally:
            pn_e2e.PANOPTESD = saved


class Upgrade(test_restart.Restart):
    cgroup_name = "upgrade"

    @classmethod
    def setUpClass(cls):
        cls.rev = os.environ.get("PN_UPGRADE_FROM", "HEAD~1")
        if git("rev-parse", "--verify", "--quiet", cls.rev + "^{commit}").returncode:
            # a shallow clone: the same commit, built apart, still proves that the
            # handover does not depend on where or how a binary was built
            print(f"test_upgrade: {cls.rev} is not in this clone; upgrading from HEAD",
                  flush=True)
            cls.rev = "HEAD"
        cls.rev_id = git("rev-parse", "--short", cls.rev).stdout.strip()
        cls.where = tempfile.mkdtemp(prefix="pn-upgrade-", dir="/tmp")
        cls.old = build_base(cls.rev, cls.where)
        help_text = subprocess.run([cls.old, "--help"], capture_output=True, text=True).stdout
        cls.has_handover = "--keep-on-exit" in help_text
        cls.same_kernel_side = git("diff", "--quiet", cls.rev, "HEAD", "--", "bpf",
                                   "vmlinux").returncode == 0

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.where, ignore_errors=True)

    def test_upgrade_from_previous_commit(self):
        print(f"test_upgrade: from {self.rev} ({self.rev_id}): handover "
              f"{self.has_handover}, same kernel side {self.same_kernel_side}", flush=True)
        args = ["--pin-path", PIN, "--state-dir", self.state]
        if not self.has_handover:
            old = OldAgent(self.old, ["--pin-path", PIN], False)
            old.proc.kill()
            old.stop()
            self.assertTrue(os.path.exists(f"{PIN}/links/{test_restart.hook_of(old)}"))
            agent = self.start()
            self.assertTrue(any("by an agent that kept no handover record" in l
                                for l in agent.stderr_lines), agent.stderr_lines)
            self.assertEqual(programs_named(self.hook, 1), 1)
            return

        self.agent = OldAgent(self.old, args + ["--keep-on-exit"], True)
        self.hook = test_restart.hook_of(self.agent)
        from pn_grpc import Api, channel
        ch = channel(self.agent.addr)
        self.apis.append(ch)
        self.api = Api(ch)
        self.create_watch()
        self.stop_agent("term")

        names = [f"u{i:05d}" for i in range(test_restart.N_FILES)]
        self.workload(names)

        agent = self.start("--keep-on-exit")
        self.assertTrue(any("restored 1 watch(es) created over gRPC" in l
                            for l in agent.stderr_lines), agent.stderr_lines)
        adopted = self.adopted_line(agent)
        if self.same_kernel_side:
            self.assertIsNotNone(adopted, agent.stderr_lines)
        if adopted:
            self.assertEqual(programs_named(self.hook), 1)
            agent.wait_for(lambda ls: len(self.created(agent)) >= len(names), timeout=60)
            self.assertEqual(self.created(agent), [f"{self.d}/{n}" for n in names])
            self.assertEqual(agent.lines[0]["watch"], "kept")
        else:
            self.assertTrue(any("another build's" in l and "is lost unread" in l
                                for l in agent.stderr_lines), agent.stderr_lines)
            self.assertEqual(programs_named(self.hook, 1), 1)
        self.workload(["after"])
        agent.wait_for(lambda ls: f"{self.d}/after" in self.created(agent))


# only the upgrade here: test_restart's own tests run from test_restart.py
for name in [n for n in dir(test_restart.Restart) if n.startswith("test_")]:
    setattr(Upgrade, name, None)

if __name__ == "__main__":
    unittest.main(verbosity=2)
