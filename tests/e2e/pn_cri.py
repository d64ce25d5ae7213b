# SPDX-License-Identifier: GPL-2.0-only
"""A real containerd (Debian's, with its CRI plugin) for the identity tests,
and a kubelet-shaped CRI client that makes pods the way kubelet does.

Containerd is started by the test itself (no systemd here), in a mount
namespace of its own made rshared, with its own root, state, socket and an
empty CNI directory (host-network pods need none); it is stopped by pid and
its directories removed. Images are built offline: a one-layer docker
archive of a busybox-static root, imported with `ctr images import`. Pods
get kubelet's io.kubernetes.* labels and the cgroupfs driver's cgroup parent
/kubepods/besteffort/pod<uid>, so their containers land where a kubelet's
would. Nothing is pulled from a registry.
"""
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import unittest
import uuid

import grpc

from pn_grpc import stubs_for

CONTAINERD = shutil.which("containerd") or "/usr/bin/containerd"
CTR = shutil.which("ctr") or "/usr/bin/ctr"
BUSYBOX = "/bin/busybox"
IMAGE = "pn.local/busybox:1"
PAUSE = "pn.local/pause:1"
APPLETS = ("sh", "ls", "cat", "echo", "mkdir", "rm", "mv", "touch", "chmod", "sleep", "ln",
           "date", "seq", "sync", "true")

CONFIG = """version = 2
root = "{root}"
state = "{state}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
                    "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
[debug]
  address = "{sock}.debug"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_cdi = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    conf_dir = "{cni}"
    bin_dir = "{cni}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/sbin/runc"
"""


def _layer(entrypoint_files):
    """An uncompressed layer tar of a busybox root: bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for d in ("bin", "data", "proc", "dev", "sys", "tmp", "etc", "etc/app"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            t.addfile(info)
        t.add(BUSYBOX, "bin/busybox")
        for a in APPLETS:
            info = tarfile.TarInfo("bin/" + a)
            info.type = tarfile.SYMTYPE
            info.linkname = "busybox"
            t.addfile(info)
        for name, data in entrypoint_files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def image_archive(path, tag, cmd):
    """A docker archive (manifest.json, config, one layer) of busybox, tagged `tag`."""
    layer = _layer([("etc/app/config", b"v1\n")])
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps({
        "architecture": "amd64" if os.uname().machine == "x86_64" else "arm64",
        "os": "linux",
        "config": {"Cmd": cmd, "Env": ["PATH=/bin"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": [tag],
                            "Layers": ["layer.tar"]}]).encode()
    with tarfile.open(path, "w") as t:
        for name, data in (("layer.tar", layer), (config_name, config),
                           ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


class Containerd:
    """containerd on a socket of its own; `cri` is a KubeletClient on it."""

    def __init__(self):
        if not os.path.exists(CONTAINERD):
            raise unittest.SkipTest("containerd is not installed (scripts/deps installs it)")
        self.dir = tempfile.mkdtemp(prefix="pn-containerd-", dir="/tmp")
        self.sock = os.path.join(self.dir, "containerd.sock")
        self.endpoint = "unix://" + self.sock
        for d in ("root", "state", "cni", "pods"):
            os.makedirs(os.path.join(self.dir, d))
        self.config = os.path.join(self.dir, "config.toml")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(root=self.dir + "/root", state=self.dir + "/state",
                                  sock=self.sock, cni=self.dir + "/cni", pause=PAUSE))
        self.log = open(os.path.join(self.dir, "containerd.log"), "ab")
        self.proc = None
        self.cri = None
        try:
            self.start()
            self.cri = KubeletClient(self.endpoint, self.dir + "/pods")
            for tag, cmd in ((PAUSE, ["/bin/sleep", "2147483647"]),
                             (IMAGE, ["/bin/sh", "-c", "sleep 2147483647"])):
                archive = os.path.join(self.dir, tag.replace("/", "_") + ".tar")
                image_archive(archive, tag, cmd)
                subprocess.run([CTR, "--address", self.sock, "-n", "k8s.io", "images", "import",
                                archive], check=True, stdout=subprocess.DEVNULL)
        except BaseException:
            self.close()
            raise

    def start(self):
        """Starts containerd (again, after stop(): it finds its shims and containers)."""
        # its own mount namespace, rshared: the sandboxes' mounts stay out of the test's
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "unchanged", "sh", "-c",
             "mount --make-rshared / && exec " + CONTAINERD + " --config " + self.config],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait()

    def _wait(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise unittest.SkipTest("containerd cannot start here: " + self.tail())
            if os.path.exists(self.sock):
                r = subprocess.run([CTR, "--address", self.sock, "version"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if r.returncode == 0:
                    return
            time.sleep(0.1)
        raise AssertionError("containerd did not answer within %d s: %s" % (timeout, self.tail()))

    def tail(self, n=20):
        with open(os.path.join(self.dir, "containerd.log"), "rb") as f:
            return b"".join(f.readlines()[-n:]).decode(errors="replace")

    def stop(self):
        """Stops containerd (its containers keep running, as under a restart)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def close(self):
        if self.cri:
            self.cri.remove_all()
            self.cri.close()
        self.stop()
        self.log.close()
        # the shims outlive containerd; sandboxes are gone by now, kill what is left
        subprocess.run(["pkill", "-KILL", "-f", "containerd-shim-runc-v2 -namespace k8s.io -id .* "
                        "-address " + self.sock], stderr=subprocess.DEVNULL)
        subprocess.run(["sh", "-c", "grep ' %s' /proc/self/mounts | awk '{print $2}' | sort -r | "
                        "xargs -r umount -l" % self.dir], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
        # the pods' cgroups are kubelet's to remove, in every hierarchy containerd used
        for uid in self.cri.uids if self.cri else ():
            subprocess.run(["sh", "-c", "for m in $(awk '$3 ~ /^cgroup2?$/ {print $2}' "
                            "/proc/self/mounts); do rmdir $m/kubepods/besteffort/pod%s "
                            "2>/dev/null; done; true" % uid])


class SlowRuntime:
    """A unix socket in front of the runtime's that passes bytes both ways and can hold
    what the agent sends (pause, resume): the real runtime, slow to answer."""

    def __init__(self, endpoint, path):
        self.target = endpoint[len("unix://"):] if endpoint.startswith("unix://") else endpoint
        self.endpoint = "unix://" + path
        self.flowing = threading.Event()
        self.flowing.set()
        self.conns = []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                agent, _ = self.srv.accept()
            except OSError:
                return
            runtime = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            runtime.connect(self.target)
            self.conns += [agent, runtime]
            threading.Thread(target=self._pump, args=(agent, runtime, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(runtime, agent, False),
                             daemon=True).start()

    def _pump(self, src, dst, held):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if held:
                self.flowing.wait()
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def pause(self):
        self.flowing.clear()

    def resume(self):
        self.flowing.set()

    def close(self):
        self.flowing.set()
        self.srv.close()
        for s in self.conns:
            s.close()


class Pod:
    def __init__(self, name, namespace, uid, sandbox_id, labels, annotations=None):
        self.name, self.namespace, self.uid = name, namespace, uid
        self.sandbox_id = sandbox_id
        self.labels = labels
        self.annotations = annotations or {}
        self.containers = {}  # name -> id
        self.cgroup_parent = "/kubepods/besteffort/pod" + uid


class KubeletClient:
    """RunPodSandbox / CreateContainer / StartContainer / Stop / Remove, shaped as
    kubelet calls them (its labels, cgroup parent, log paths), host network."""

    def __init__(self, endpoint, pod_dir):
        self.pb = stubs_for("cri/runtime.proto", "cri.runtime_pb2")
        self.ch = grpc.insecure_channel(endpoint)
        self.pod_dir = pod_dir
        self.pods = []
        self.uids = []  # every pod made: their cgroups outlive them

    def close(self):
        self.ch.close()

    def call(self, method, req, resp_cls, timeout=60):
        fn = self.ch.unary_unary("/runtime.v1.RuntimeService/" + method,
                                 request_serializer=req.__class__.SerializeToString,
                                 response_deserializer=resp_cls.FromString)
        return fn(req, timeout=timeout)

    def _sandbox_config(self, pod):
        pb = self.pb
        return pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=pod.name, uid=pod.uid, namespace=pod.namespace),
            # no hostname: kubelet sets none for a host-network pod (no UTS namespace)
            log_directory=os.path.join(self.pod_dir, pod.uid),
            labels=dict(pod.labels, **{"io.kubernetes.pod.name": pod.name,
                                       "io.kubernetes.pod.namespace": pod.namespace,
                                       "io.kubernetes.pod.uid": pod.uid}),
            annotations=dict(pod.annotations, **{"kubernetes.io/config.source": "api"}),
            linux=pb.LinuxPodSandboxConfig(
                cgroup_parent=pod.cgroup_parent,
                security_context=pb.LinuxSandboxSecurityContext(
                    namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER,
                                                         ipc=pb.POD))))

    def run_pod(self, name, namespace, labels=None, uid=None, annotations=None):
        pb = self.pb
        pod = Pod(name, namespace, uid or str(uuid.uuid4()), None, labels or {}, annotations)
        os.makedirs(os.path.join(self.pod_dir, pod.uid), exist_ok=True)
        self.uids.append(pod.uid)
        r = self.call("RunPodSandbox", pb.RunPodSandboxRequest(config=self._sandbox_config(pod)),
                      pb.RunPodSandboxResponse)
        pod.sandbox_id = r.pod_sandbox_id
        self.pods.append(pod)
        return pod

    def create_container(self, pod, name, command, image=IMAGE):
        """A container of `pod` running `command` (argv); created, not started."""
        pb = self.pb
        cfg = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name),
            image=pb.ImageSpec(image=image),
            command=command,
            labels={"io.kubernetes.container.name": name, "io.kubernetes.pod.name": pod.name,
                    "io.kubernetes.pod.namespace": pod.namespace,
                    "io.kubernetes.pod.uid": pod.uid},
            annotations={"io.kubernetes.container.restartCount": "0"},
            log_path=f"{name}/0.log",
            linux=pb.LinuxContainerConfig(
                security_context=pb.LinuxContainerSecurityContext(
                    namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER,
                                                         ipc=pb.POD))))
        r = self.call("CreateContainer",
                      pb.CreateContainerRequest(pod_sandbox_id=pod.sandbox_id, config=cfg,
                                                sandbox_config=self._sandbox_config(pod)),
                      pb.CreateContainerResponse)
        pod.containers[name] = r.container_id
        return r.container_id

    def start_container(self, cid):
        self.call("StartContainer", self.pb.StartContainerRequest(container_id=cid),
                  self.pb.StartContainerResponse)

    def remove_container(self, cid):
        pb = self.pb
        self.call("StopContainer", pb.StopContainerRequest(container_id=cid, timeout=0),
                  pb.StopContainerResponse)
        self.call("RemoveContainer", pb.RemoveContainerRequest(container_id=cid),
                  pb.RemoveContainerResponse)

    def remove_pod(self, pod):
        pb = self.pb
        self.call("StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=pod.sandbox_id),
                  pb.StopPodSandboxResponse)
        self.call("RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=pod.sandbox_id),
                  pb.RemovePodSandboxResponse)
        self.pods.remove(pod)

    def remove_all(self):
        for pod in list(self.pods):
            try:
                self.remove_pod(pod)
            except grpc.RpcError:
                pass
