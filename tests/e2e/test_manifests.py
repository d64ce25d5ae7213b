#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The container image and the Kubernetes manifests (Dockerfile, deploy/).

Every file under deploy/ is parsed with a real YAML parser (PyYAML, Debian's
python3-yaml) and the fields docs/deploy.md promises are checked with exact
values, so a broken edit fails here rather than on a cluster. No cluster and
no Docker engine are needed. The kustomize Components (deploy/argus-controller,
deploy/janus-controller) are applied to the base here, by a small renderer
that knows only what they use and refuses anything else; where kubectl is
installed, `kubectl kustomize` renders every combination too and must agree.

With PANOPTESD set (ctest sets it), or a built build/panoptesd, the flags the
DaemonSet passes are checked against `panoptesd --help`, the runtime image's
packages against the binary's shared libraries, and, as root, the ConfigMap's
policy against panoptesd's own (strict) policy parser.
"""
import copy
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

try:
    import yaml
except ImportError:
    sys.exit("test_manifests.py: needs PyYAML for /usr/bin/python3 "
             "(Debian package python3-yaml, installed by scripts/deps)")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
DEPLOY = os.path.join(REPO, "deploy")
DOCKERFILE = os.path.join(REPO, "Dockerfile")
DOCKERIGNORE = os.path.join(REPO, ".dockerignore")

NAME_LABEL = {"app.kubernetes.io/name": "panoptes"}
NAMESPACE = "panoptes"
GRPC_PORT = 50051
METRICS_PORT = 2112
PROBE_PORT = 2113

# The capability set docs/deploy.md explains, one row each.
CAPS = {"BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE", "DAC_READ_SEARCH", "SYS_NICE"}

# hostPath -> (readOnly, mountPropagation), mounted at the same path: the code
# uses these fixed paths. No /proc: with hostPID the container's /proc is the
# node's (docs/deploy.md).
HOST_MOUNTS = {
    "/sys/fs/bpf": (False, "HostToContainer"),
    # --state-dir: the watches created over gRPC, kept across restarts
    "/var/lib/panoptes": (False, None),
    "/sys/kernel/btf": (True, None),
    # the active LSM list: the vfs backend and BPF LSM guards where bpf is in it
    "/sys/kernel/security": (True, None),
    "/sys/fs/cgroup": (True, None),
    "/sys/kernel/tracing": (True, "HostToContainer"),
    # the CRI socket's directory: pods and images (--cri-endpoint's default)
    "/run/containerd": (True, None),
}

TLS_KEYS = {"ca.crt", "tls.crt", "tls.key"}
TLS_DIR = "/etc/panoptes/tls"
POLICY_FILE = "/etc/panoptes/policy/policy.yaml"
SOCKET = "/run/panoptes/panoptes.sock"
# What serves the pod IP: argusd's TLS flags, the Secret's files.
TLS_ARGS = ["-tls", "-tlscafile", f"{TLS_DIR}/ca.crt", "-tlscertfile", f"{TLS_DIR}/tls.crt",
            "-tlskeyfile", f"{TLS_DIR}/tls.key"]

# Built into argus-controller, not configurable (clustergarage/argus-controller,
# pkg/controller/arguscontroller.go: argusNamespace, argusdService,
# argusdSvcPortName, argusdSelector): it finds daemon pods by this label in
# this namespace and their address in this Service's Endpoints, port by name.
ARGUS_NAMESPACE = "argus"
ARGUS_SERVICE = "argusd-svc"
ARGUS_PORT_NAME = "grpc"
ARGUS_POD_LABEL = {"daemon": "argusd"}
# The same of janus-controller (clustergarage/janus-controller,
# pkg/controller/januscontroller.go: janusNamespace, janusdService,
# janusdSvcPortName, janusdSelector).
JANUS_NAMESPACE = "janus"
JANUS_SERVICE = "janusd-svc"
JANUS_PORT_NAME = "grpc"
JANUS_POD_LABEL = {"daemon": "janusd"}
COMPONENTS = {"argus-controller", "janus-controller"}
# Who the NetworkPolicy lets reach each port (docs/deploy.md, "Network policy").
CONTROLLER_NAMESPACES = [ARGUS_NAMESPACE, JANUS_NAMESPACE]
SCRAPER_NAMESPACE = "monitoring"

# Runtime packages the image must have, whatever ldd says (ca-certificates:
# TLS peers; the rest: the libraries panoptesd links today).
RUNTIME_PACKAGES = {"libbpf1", "libyaml-0-2", "libelf1", "zlib1g", "libmicrohttpd12",
                    "ca-certificates"}
# In every Debian image already (Essential or in debian:12-slim).
BASE_PACKAGES = {"libc6"}


# ------------------------------------------------------------------ loading

def load_deploy():
    """{relative file name: [documents]} for every file under deploy/."""
    out = {}
    for root, dirs, files in os.walk(DEPLOY):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, DEPLOY)
            with open(path) as f:
                out[rel] = [d for d in yaml.safe_load_all(f) if d is not None]
    return out


def base_files(deploy):
    """The files directly in deploy/ (the base), not those of its Components."""
    return {rel: docs for rel, docs in deploy.items() if "/" not in rel}


def objects(deploy, kind):
    return [d for docs in deploy.values() for d in docs if d.get("kind") == kind]


def one(deploy, kind):
    found = objects(deploy, kind)
    if len(found) != 1:
        raise AssertionError(f"expected exactly one {kind} in deploy/, found {len(found)}")
    return found[0]


# ------------------------------------------------------------------ Components

def json_pointer(path):
    if not path.startswith("/"):
        raise AssertionError(f"JSON pointer {path!r} does not start with /")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def apply_json_patch(doc, ops):
    """RFC 6902 add, replace and test: what the Components use, nothing else."""
    for op in ops:
        kind, path = op["op"], json_pointer(op["path"])
        if kind not in ("add", "replace", "test"):
            raise AssertionError(f"JSON patch op {kind!r}: not understood here")
        parent = doc
        for t in path[:-1]:
            parent = parent[int(t)] if isinstance(parent, list) else parent[t]
        last = path[-1]
        if isinstance(parent, list):
            if kind == "add" and last == "-":
                parent.append(copy.deepcopy(op["value"]))
                continue
            i = int(last)
            if not 0 <= i < len(parent) + (kind == "add"):
                raise AssertionError(f"{op['path']}: index out of range")
            if kind == "add":
                parent.insert(i, copy.deepcopy(op["value"]))
            elif kind == "replace":
                parent[i] = copy.deepcopy(op["value"])
            elif parent[i] != op["value"]:
                raise AssertionError(f"JSON patch test failed: {op['path']} is {parent[i]!r}")
        else:
            if kind == "test":
                if parent.get(last) != op["value"]:
                    raise AssertionError(f"JSON patch test failed: {op['path']} is "
                                         f"{parent.get(last)!r}")
            elif kind == "replace" and last not in parent:
                raise AssertionError(f"replace {op['path']}: no such member")
            else:
                parent[last] = copy.deepcopy(op["value"])


def load_component(name):
    """(kustomization, [resources]) of deploy/NAME, a kustomize Component."""
    d = os.path.join(DEPLOY, name)
    with open(os.path.join(d, "kustomization.yaml")) as f:
        k = yaml.safe_load(f)
    res = []
    for r in k.get("resources", []):
        with open(os.path.join(d, r)) as f:
            res.extend(x for x in yaml.safe_load_all(f) if x is not None)
    return k, res


def render(deploy, components=()):
    """What `kustomize build` makes of the base plus these Components, for the
    fields the Components use; anything else in them is refused."""
    k = base_files(deploy)["kustomization.yaml"][0]
    objs = [copy.deepcopy(d) for r in k["resources"] for d in deploy[r]]
    for name in components:
        comp, res = load_component(name)
        unknown = set(comp) - {"apiVersion", "kind", "namespace", "resources", "patches"}
        if unknown:
            raise AssertionError(f"deploy/{name}: the renderer here does not know {unknown}")
        objs.extend(copy.deepcopy(res))
        for p in comp.get("patches", []):
            t = p["target"]
            if set(p) != {"target", "patch"}:
                raise AssertionError(f"deploy/{name}: only inline patches with a target")
            hits = [o for o in objs if o["kind"] == t["kind"] and o["metadata"]["name"] == t["name"]
                    and o["apiVersion"] == "/".join(x for x in (t.get("group"), t["version"]) if x)]
            if len(hits) != 1:
                raise AssertionError(f"deploy/{name}: patch target {t} matches {len(hits)} objects")
            ops = yaml.safe_load(p["patch"])
            if not isinstance(ops, list):
                raise AssertionError(f"deploy/{name}: a patch that is not a JSON patch")
            apply_json_patch(hits[0], ops)
        if "namespace" in comp:
            # kustomize renames the Namespace object too, and sets every other's
            for o in objs:
                o["metadata"]["name" if o["kind"] == "Namespace" else "namespace"] = \
                    comp["namespace"]
    return objs


def by_key(objs):
    out = {}
    for o in objs:
        key = (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        if key in out:
            raise AssertionError(f"{key} twice")
        out[key] = o
    return out


def help_flag_re(flag):
    return re.compile(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])")


def panoptesd_binary():
    """PANOPTESD if set, else the repository's build/panoptesd, else None."""
    env = os.environ.get("PANOPTESD")
    if env:
        return env
    built = os.path.join(REPO, "build", "panoptesd")
    return built if os.access(built, os.X_OK) else None


# ------------------------------------------------------------------ Dockerfile

def dockerfile_instructions(text):
    """[(INSTRUCTION, arguments)], continuation lines joined, comments dropped."""
    out, cur = [], ""
    for raw in text.splitlines():
        s = raw.strip()
        if s.startswith("#") or (not s and not cur):
            continue
        if s.endswith("\\"):
            cur += s[:-1].strip() + " "
            continue
        cur += s
        word, _, rest = cur.partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    if cur:
        raise AssertionError(f"Dockerfile ends inside a continued line: {cur!r}")
    return out


def dockerfile_stages(instructions):
    """[{'image', 'name', 'instructions'}] in order."""
    stages = []
    for ins, args in instructions:
        if ins == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--platform")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append({"image": words[0], "name": name, "instructions": []})
        elif not stages:
            if ins != "ARG":
                raise AssertionError(f"{ins} before the first FROM")
        else:
            stages[-1]["instructions"].append((ins, args))
    return stages


def dockerignore_patterns():
    pats = []
    with open(DOCKERIGNORE) as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            neg = s.startswith("!")
            s = s[1:] if neg else s
            s = os.path.normpath(s.lstrip("/"))
            pats.append((neg, s))
    return pats


def _glob_re(pat):
    out, i = "", 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pat.startswith("**", i):
            out += ".*"
            i += 2
        elif pat[i] == "*":
            out += "[^/]*"
            i += 1
        elif pat[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pat[i])
            i += 1
    return re.compile(out + r"\Z")


def dockerignored(relpath, patterns):
    """As Docker reads .dockerignore: the last matching pattern wins, and a
    pattern matching a directory covers everything below it."""
    parts = relpath.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for neg, pat in patterns:
        rx = _glob_re(pat)
        if any(rx.match(p) for p in prefixes):
            ignored = not neg
    return ignored


def repo_files():
    """Files the build context must hold: tracked and untracked-but-not-ignored."""
    r = subprocess.run(["git", "-C", REPO, "ls-files", "--cached", "--others",
                        "--exclude-standard"], capture_output=True, text=True)
    if r.returncode != 0:
        raise unittest.SkipTest(f"git ls-files failed: {r.stderr.strip()}")
    return [l for l in r.stdout.splitlines() if l and os.path.exists(os.path.join(REPO, l))]


# ================================================================== tests

class Manifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.all = load_deploy()
        cls.deploy = base_files(cls.all)
        cls.ds = one(cls.deploy, "DaemonSet")
        cls.pod = cls.ds["spec"]["template"]["spec"]
        containers = cls.pod["containers"]
        assert len(containers) == 1, f"expected one container, found {len(containers)}"
        cls.c = containers[0]
        cls.volumes = {v["name"]: v for v in cls.pod.get("volumes", [])}
        cls.mounts = cls.c.get("volumeMounts", [])
        with open(os.path.join(DEPLOY, "daemonset.yaml")) as f:
            cls.ds_text = f.read()

    # -------------------------------------------------------------- files

    def test_every_file_is_yaml_with_kind(self):
        self.assertIn("kustomization.yaml", self.deploy)
        dirs = {rel.split("/")[0] for rel in self.all if "/" in rel}
        self.assertEqual(dirs, COMPONENTS, "deploy/ holds the base and its Components only")
        for rel, docs in self.all.items():
            self.assertTrue(rel.endswith(".yaml"), f"deploy/{rel}: not a .yaml file")
            self.assertTrue(docs, f"deploy/{rel}: no YAML document")
            self.assertLessEqual(rel.count("/"), 1, f"deploy/{rel}: nested too deep")
            # a Component's own objects are in the namespace it moves everything to
            namespace = NAMESPACE
            if "/" in rel:
                namespace = self.all[rel.split("/")[0] + "/kustomization.yaml"][0].get(
                    "namespace", NAMESPACE)
            for d in docs:
                self.assertIsInstance(d, dict, f"deploy/{rel}")
                self.assertIn("apiVersion", d, f"deploy/{rel}")
                self.assertIn("kind", d, f"deploy/{rel}")
                if d["kind"] in ("Kustomization", "Component"):
                    self.assertEqual(os.path.basename(rel), "kustomization.yaml")
                    self.assertEqual(d["kind"], "Component" if "/" in rel else "Kustomization",
                                     f"deploy/{rel}")
                    continue
                md = d["metadata"]
                self.assertEqual(md.get("labels", {}).get("app.kubernetes.io/name"), "panoptes",
                                 f"deploy/{rel}: {d['kind']} {md.get('name')}")
                if d["kind"] != "Namespace":
                    self.assertEqual(md.get("namespace"), namespace,
                                     f"deploy/{rel}: {d['kind']} {md.get('name')}")

    def test_kustomization(self):
        k = self.deploy["kustomization.yaml"][0]
        self.assertEqual(k["kind"], "Kustomization")
        self.assertEqual(k["namespace"], NAMESPACE)
        resources = k["resources"]
        self.assertEqual(len(resources), len(set(resources)), "a resource is listed twice")
        for r in resources:
            self.assertTrue(os.path.isfile(os.path.join(DEPLOY, r)),
                            f"kustomization.yaml lists {r}, which does not exist in deploy/")
        # Every manifest is applied, except the TLS Secret layout: its placeholders
        # would overwrite a real Secret (docs/deploy.md).
        expected = sorted(set(self.deploy) - {"kustomization.yaml", "secret-tls.yaml"})
        self.assertEqual(sorted(resources), expected)
        self.assertEqual(sorted(d["kind"] for r in resources for d in self.deploy[r]),
                         ["ConfigMap", "DaemonSet", "Namespace", "NetworkPolicy", "Service",
                          "ServiceAccount"])
        # `kustomize edit set image panoptesd=...` rewrites the DaemonSet's image.
        image_names = [i["name"] for i in k.get("images", [])]
        self.assertEqual(image_names, [re.split(r"[:@]", self.c["image"])[0]])
        # the controllers' Components only from an overlay (namespace: here would undo them)
        self.assertNotIn("components", k)
        with open(os.path.join(DEPLOY, "kustomization.yaml")) as f:
            text = f.read()
        self.assertNotRegex(text, r"#\s*-\s*(argus|janus)-controller")

    def test_namespace_admits_the_agent(self):
        ns = one(self.deploy, "Namespace")
        self.assertEqual(ns["metadata"]["name"], NAMESPACE)
        self.assertEqual(ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
                         "privileged")

    def test_service_account(self):
        sa = one(self.deploy, "ServiceAccount")
        self.assertEqual(self.pod["serviceAccountName"], sa["metadata"]["name"])
        self.assertIs(sa["automountServiceAccountToken"], False)
        self.assertIs(self.pod["automountServiceAccountToken"], False)

    # -------------------------------------------------------------- DaemonSet pod

    def test_pod_level(self):
        self.assertEqual(self.ds["apiVersion"], "apps/v1")
        self.assertEqual(self.ds["spec"]["selector"]["matchLabels"], NAME_LABEL)
        self.assertEqual(self.ds["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
                         "panoptes")
        self.assertIs(self.pod["hostPID"], True)
        self.assertNotIn("hostNetwork", self.pod)
        self.assertIn({"operator": "Exists"}, self.pod["tolerations"],
                      "the agent must tolerate every taint to run on every node")
        sc = self.pod["securityContext"]
        self.assertEqual(sc["seccompProfile"], {"type": "Unconfined"})
        self.assertEqual(sc["appArmorProfile"], {"type": "Unconfined"})
        # no surge: two agents on one node would contend for the pin directory
        self.assertEqual(self.ds["spec"]["updateStrategy"],
                         {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}})

    def test_node_name_from_downward_api(self):
        env = {e["name"]: e for e in self.c["env"]}
        self.assertEqual(env["NODE_NAME"], {"name": "NODE_NAME", "valueFrom": {
            "fieldRef": {"fieldPath": "spec.nodeName"}}})

    def test_capabilities_not_privileged(self):
        sc = self.c["securityContext"]
        self.assertIs(sc["privileged"], False)
        self.assertIs(sc["allowPrivilegeEscalation"], False)
        self.assertIs(sc["readOnlyRootFilesystem"], True)
        self.assertEqual(sc["runAsUser"], 0)
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        add = sc["capabilities"]["add"]
        self.assertEqual(len(add), len(set(add)), f"duplicate capability in {add}")
        self.assertEqual(set(add), CAPS)
        self.assertEqual(sc["seLinuxOptions"], {"type": "spc_t"})
        for c in self.pod["containers"] + self.pod.get("initContainers", []):
            self.assertIsNot(c.get("securityContext", {}).get("privileged"), True,
                             f"container {c['name']} is privileged")
        # the fallback stays documented, as a comment
        self.assertRegex(self.ds_text, r"\n\s*#\s*privileged: true\n")

    def test_host_mounts(self):
        host_volumes = {v["hostPath"]["path"]: v for v in self.volumes.values() if "hostPath" in v}
        self.assertEqual(set(host_volumes), set(HOST_MOUNTS),
                         "hostPath volumes differ from the documented set")
        for path, (ro, propagation) in HOST_MOUNTS.items():
            v = host_volumes[path]
            # the state directory is the agent's own, and a node may have no
            # containerd: made on a node that lacks them
            self.assertEqual(v["hostPath"].get("type"),
                             "DirectoryOrCreate" if path in ("/var/lib/panoptes", "/run/containerd")
                             else "Directory",
                             path)
            mounts = [m for m in self.mounts if m["name"] == v["name"]]
            self.assertEqual(len(mounts), 1, f"{path}: mounted {len(mounts)} times")
            m = mounts[0]
            self.assertEqual(m["mountPath"], path, "the code uses the node's paths")
            self.assertIs(bool(m.get("readOnly", False)), ro, f"{path}: readOnly")
            self.assertEqual(m.get("mountPropagation"), propagation, f"{path}: mountPropagation")
        for m in self.mounts:
            # refused by the API server for non-privileged containers
            self.assertNotEqual(m.get("mountPropagation"), "Bidirectional", m["mountPath"])

    def test_ports(self):
        ports = {p["name"]: (p["containerPort"], p.get("protocol", "TCP")) for p in self.c["ports"]}
        self.assertEqual(ports, {"grpc": (GRPC_PORT, "TCP"), "metrics": (METRICS_PORT, "TCP"),
                                 "probes": (PROBE_PORT, "TCP")})

    def _port(self, p):
        if isinstance(p, int):
            return p
        return {q["name"]: q["containerPort"] for q in self.c["ports"]}[p]

    def test_probes(self):
        live, ready = self.c["livenessProbe"], self.c["readinessProbe"]
        # HTTP probes: Kubernetes' gRPC probes speak plaintext, which the mutual TLS
        # port refuses; on the probe listener, whose slots clients of the metrics
        # port cannot take.
        self.assertEqual(live["httpGet"]["path"], "/healthz")
        self.assertEqual(self._port(live["httpGet"]["port"]), PROBE_PORT)
        self.assertEqual(ready["httpGet"]["path"], "/readyz")
        self.assertEqual(self._port(ready["httpGet"]["port"]), PROBE_PORT)
        for p in (live, ready):
            self.assertNotIn("grpc", p)
            self.assertGreaterEqual(p["failureThreshold"], 3)
        # no gRPC probe, not even commented out: it would fail against mutual TLS
        self.assertNotRegex(self.ds_text, r"#\s*grpc:\s*\n\s*#\s*port:")

    def test_resources(self):
        self.assertEqual(self.c["resources"], {"requests": {"cpu": "50m", "memory": "64Mi"},
                                               "limits": {"memory": "256Mi"}})

    # -------------------------------------------------------------- args

    def _args(self):
        """{flag: value} from the container's args (True for a flag without one): the GNU
        --flags, and argusd's single-dash TLS ones."""
        args, out, i = self.c["args"], {}, 0
        self.assertNotIn("command", self.c, "the image's ENTRYPOINT is panoptesd: args only")
        while i < len(args):
            a = args[i]
            self.assertTrue(a.startswith("--") or a in [t for t in TLS_ARGS if t[0] == "-"],
                            f"unexpected argument {a!r}")
            if "=" in a:
                k, v = a.split("=", 1)
                i += 1
            elif i + 1 == len(args) or args[i + 1].startswith("-"):
                k, v = a, True
                i += 1
            else:
                k, v = a, args[i + 1]
                i += 2
            self.assertNotIn(k, out, f"{k} given twice")
            out[k] = v
        return out

    def _volume_file(self, path):
        """(volume, path inside the volume) that provides `path` in the container."""
        for m in self.mounts:
            mp = m["mountPath"].rstrip("/")
            if m.get("subPath"):
                if path == mp:
                    return self.volumes[m["name"]], m["subPath"]
            elif path.startswith(mp + "/"):
                return self.volumes[m["name"]], path[len(mp) + 1:]
        self.fail(f"no volume provides {path}")

    def _configmap_key(self, path):
        vol, rel = self._volume_file(path)
        self.assertIn("configMap", vol, f"{path} does not come from a ConfigMap")
        key = rel
        if vol["configMap"].get("items"):
            keys = [it["key"] for it in vol["configMap"]["items"] if it["path"] == rel]
            self.assertEqual(len(keys), 1, f"{path}: no ConfigMap item maps to {rel}")
            key = keys[0]
        name = vol["configMap"]["name"]
        cms = [cm for cm in objects(self.deploy, "ConfigMap") if cm["metadata"]["name"] == name]
        self.assertEqual(len(cms), 1, f"ConfigMap {name} (for {path}) is not in deploy/")
        return cms[0], key

    def test_args(self):
        args = self._args()
        self.assertEqual(args, {
            "--policy": POLICY_FILE,
            "--output": "json",
            "--pin-path": "/sys/fs/bpf/panoptes",
            # a rolling update hands the pinned programs to the next pod: no blind window
            "--keep-on-exit": True,
            "--state-dir": "/var/lib/panoptes",
            "--metrics-listen": f"0.0.0.0:{METRICS_PORT}",
            "--socket": SOCKET,
            # the pod IP with mutual TLS only: never plaintext on the pod network
            "--listen": f"0.0.0.0:{GRPC_PORT}",
            "-tls": True,
            "-tlscafile": f"{TLS_DIR}/ca.crt",
            "-tlscertfile": f"{TLS_DIR}/tls.crt",
            "-tlskeyfile": f"{TLS_DIR}/tls.key",
            "--probe-listen": f"0.0.0.0:{PROBE_PORT}",
            # kimager's image log, JSON lines beside the events the pipeline ships
            "--lifecycle": "json",
        })
        # the listeners are the declared ports
        self.assertEqual(self._port("grpc"), int(args["--listen"].rsplit(":", 1)[1]))
        self.assertNotIn("--insecure-listen", self.c["args"])
        # argusd's flags as one run, as its docs and TLS_ARGS give them
        i = self.c["args"].index("-tls")
        self.assertEqual(self.c["args"][i:i + len(TLS_ARGS)], TLS_ARGS)
        # the socket's directory is the pod's own, in memory: the root filesystem is read-only
        vol, rel = self._volume_file(SOCKET)
        self.assertEqual((rel, vol["emptyDir"].get("medium")), ("panoptes.sock", "Memory"))
        self.assertEqual(self._port("metrics"), int(args["--metrics-listen"].rsplit(":", 1)[1]))
        self.assertEqual(self._port("probes"), int(args["--probe-listen"].rsplit(":", 1)[1]))
        # pins land in the node's bpffs
        self.assertTrue(args["--pin-path"].startswith("/sys/fs/bpf/"))

    def test_policy_configmap(self):
        cm, key = self._configmap_key(self._args()["--policy"])
        self.assertEqual(key, "policy.yaml")
        # a subPath mount is never updated: SIGHUP would read the old file forever
        self.assertEqual([m.get("subPath") for m in self.mounts if m["name"] == "policy"], [None])
        self.assertIn(key, cm["data"], f"ConfigMap {cm['metadata']['name']} has no {key}")
        watches = policy_watches(cm["data"][key])
        # panoptesd starts without any watch (gRPC on); the sample shows one
        self.assertGreaterEqual(len(watches), 1, "the shipped sample policy has no watch")
        for w in watches:
            self.assertIsInstance(w["name"], str)
            targets = w["targets"]
            self.assertTrue(targets)
            # /proc/PID/cgroup reads "/../.." in the pod's own cgroup namespace
            self.assertNotIn("pids", targets, "pids: targets do not resolve in this pod")
            # pods by what the runtime names, not by the cgroup driver's paths
            self.assertTrue({"namespaces", "podSelector", "containerNames", "images"} & set(targets),
                            f"watch {w['name']}: the sample uses selectors")
            self.assertNotIn("cgroups", targets)
            self.assertTrue(w["subjects"])
            for s in w["subjects"]:
                for p in s["paths"]:
                    self.assertTrue(p.startswith("/"), f"watch {w['name']}: {p} is not absolute")

    def test_tls_secret_mount(self):
        secret = one(self.deploy, "Secret")
        vol, rel = self._volume_file(TLS_DIR + "/tls.crt")
        self.assertEqual(rel, "tls.crt")
        self.assertEqual(vol["secret"]["secretName"], secret["metadata"]["name"])
        # required: without it the pod waits instead of starting an agent that cannot serve
        self.assertIs(vol["secret"]["optional"], False)
        m = [m for m in self.mounts if m["mountPath"] == TLS_DIR]
        self.assertEqual(len(m), 1)
        self.assertIs(m[0]["readOnly"], True)
        self.assertNotIn("subPath", m[0])
        # every TLS flag's file is one of the Secret's keys, through this mount
        for f in TLS_ARGS[2::2]:
            vol, rel = self._volume_file(f)
            self.assertEqual(vol["secret"]["secretName"], secret["metadata"]["name"])
            self.assertIn(rel, TLS_KEYS)

    def test_network_policy(self):
        np = one(self.deploy, "NetworkPolicy")
        spec = np["spec"]
        self.assertEqual(spec["podSelector"], {"matchLabels": NAME_LABEL})
        self.assertEqual(spec["policyTypes"], ["Ingress"])
        allowed = {}
        for rule in spec["ingress"]:
            self.assertEqual(len(rule["ports"]), 1, rule)
            port = self._port(rule["ports"][0]["port"])
            self.assertEqual(rule["ports"][0]["protocol"], "TCP")
            namespaces = set()
            for peer in rule["from"]:
                # namespaces only: no ipBlock, no podSelector that widens it
                self.assertEqual(set(peer), {"namespaceSelector"}, peer)
                sel = peer["namespaceSelector"]
                for e in sel.get("matchExpressions", []):
                    self.assertEqual((e["key"], e["operator"]),
                                     ("kubernetes.io/metadata.name", "In"))
                    namespaces |= set(e["values"])
                for k, v in sel.get("matchLabels", {}).items():
                    self.assertEqual(k, "kubernetes.io/metadata.name")
                    namespaces.add(v)
            allowed[port] = sorted(namespaces)
        # the probe port has no rule: the kubelet dials from the node, always admitted
        self.assertEqual(allowed, {GRPC_PORT: sorted(CONTROLLER_NAMESPACES),
                                   METRICS_PORT: [SCRAPER_NAMESPACE]})

    # -------------------------------------------------------------- Service, Secret

    def test_service_headless(self):
        svc = one(self.deploy, "Service")
        spec = svc["spec"]
        self.assertEqual(spec["clusterIP"], "None")
        self.assertEqual(spec["selector"], NAME_LABEL)
        ports = {p["port"]: p for p in spec["ports"]}
        self.assertEqual(set(ports), {GRPC_PORT, METRICS_PORT})
        self.assertEqual(self._port(ports[GRPC_PORT]["targetPort"]), GRPC_PORT)
        self.assertEqual(self._port(ports[METRICS_PORT]["targetPort"]), METRICS_PORT)
        self.assertEqual(ports[GRPC_PORT]["name"], "grpc")
        self.assertEqual(ports[METRICS_PORT]["name"], "metrics")

    def test_secret_layout(self):
        secret = one(self.deploy, "Secret")
        self.assertEqual(secret["metadata"]["name"], "panoptes-tls")
        self.assertEqual(secret["type"], "kubernetes.io/tls")
        data = dict(secret.get("stringData", {}))
        data.update(secret.get("data", {}))
        self.assertEqual(set(data), TLS_KEYS)
        for k, v in data.items():
            self.assertIn("PLACEHOLDER", v, f"{k}: placeholders only, never real material")
            self.assertNotIn("BEGIN", v, f"{k}: no PEM in the repository")


class Components(unittest.TestCase):
    """deploy/argus-controller and deploy/janus-controller applied to the base."""

    @classmethod
    def setUpClass(cls):
        cls.deploy = load_deploy()
        cls.base = by_key(render(cls.deploy))

    def _ds(self, objs, namespace=NAMESPACE):
        return by_key(objs)[("DaemonSet", namespace, "panoptes")]

    def test_components(self):
        for name in COMPONENTS:
            k, _ = load_component(name)
            self.assertEqual(k["apiVersion"], "kustomize.config.k8s.io/v1alpha1", name)
            self.assertEqual(k["kind"], "Component", name)

    def test_argus_controller(self):
        self.controller_names("argus-controller", ARGUS_NAMESPACE, ARGUS_SERVICE,
                              ARGUS_PORT_NAME, ARGUS_POD_LABEL)

    def test_janus_controller(self):
        self.controller_names("janus-controller", JANUS_NAMESPACE, JANUS_SERVICE,
                              JANUS_PORT_NAME, JANUS_POD_LABEL)

    def controller_names(self, component, namespace, service, port_name, pod_label):
        """The names a controller has built in, given by its Component: every object in
        its namespace, the pod label, the headless Service and its port by name."""
        objs = by_key(render(self.deploy, [component]))
        for (kind, ns, name), o in objs.items():
            if kind == "Namespace":
                self.assertEqual(name, namespace)
                self.assertEqual(o["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
                                 "privileged")
            else:
                self.assertEqual(ns, namespace, f"{kind} {name}")
        ds = objs[("DaemonSet", namespace, "panoptes")]
        labels = ds["spec"]["template"]["metadata"]["labels"]
        self.assertEqual({k: labels.get(k) for k in pod_label}, pod_label)
        # the selector is immutable once created: only the pod template changes
        self.assertEqual(ds["spec"]["selector"]["matchLabels"], NAME_LABEL)
        svc = objs[("Service", namespace, service)]
        self.assertEqual(svc["spec"]["clusterIP"], "None")
        sel = svc["spec"]["selector"]
        self.assertEqual({k: labels.get(k) for k in sel}, sel, "the Service selects the agents")
        ports = [p for p in svc["spec"]["ports"] if p["name"] == port_name]
        self.assertEqual(len(ports), 1)
        c = ds["spec"]["template"]["spec"]["containers"][0]
        named = {p["name"]: p["containerPort"] for p in c["ports"]}
        target = ports[0]["targetPort"]
        self.assertEqual(named.get(target, target), GRPC_PORT)
        self.assertEqual(ports[0]["port"], GRPC_PORT)
        # the rest is the base, moved
        for k in pod_label:
            del labels[k]
        ds["metadata"]["namespace"] = NAMESPACE
        self.assertEqual(ds, self.base[("DaemonSet", NAMESPACE, "panoptes")])

    def test_kubectl_kustomize_agrees(self):
        kubectl = shutil.which("kubectl")
        if not kubectl:
            self.skipTest("no kubectl: Components rendered by this test's renderer only")
        for comps in ([], ["argus-controller"], ["janus-controller"]):
            with tempfile.TemporaryDirectory() as tmp, self.subTest(components=comps):
                with open(os.path.join(tmp, "kustomization.yaml"), "w") as f:
                    yaml.safe_dump({"apiVersion": "kustomize.config.k8s.io/v1beta1",
                                    "kind": "Kustomization",
                                    "resources": [os.path.relpath(DEPLOY, tmp)],
                                    "components": [os.path.relpath(os.path.join(DEPLOY, c), tmp)
                                                   for c in comps]}, f)
                r = subprocess.run([kubectl, "kustomize", tmp], capture_output=True, text=True,
                                   timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                got = by_key(d for d in yaml.safe_load_all(r.stdout) if d is not None)
                self.assertEqual(got, by_key(render(self.deploy, comps)))


def policy_watches(text):
    """The watches of a policy file, in the shapes docs/policy.md accepts."""
    out = []
    for doc in yaml.safe_load_all(text):
        if doc is None:
            continue
        if "watches" in doc:
            out.extend(doc["watches"])
        elif doc.get("kind") == "ArgusWatcher":
            w = dict(doc["spec"])
            w["name"] = doc["metadata"]["name"]
            out.append(w)
        else:
            out.append(doc)
    return out


class Dockerfile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DOCKERFILE) as f:
            cls.stages = dockerfile_stages(dockerfile_instructions(f.read()))
        cls.ignore = dockerignore_patterns()

    def test_two_debian12_stages(self):
        self.assertEqual(len(self.stages), 2)
        build, final = self.stages
        digest = r"(@sha256:[0-9a-f]{64})?"
        self.assertRegex(build["image"], r"^debian:(12|bookworm)" + digest + r"$")
        self.assertRegex(final["image"], r"^debian:(12|bookworm)-slim" + digest + r"$")
        self.assertEqual(build["name"], "build")

    def _workdir(self, stage):
        wd = "/"
        for ins, args in stage["instructions"]:
            if ins == "WORKDIR":
                wd = os.path.join(wd, args)
        return wd

    def test_build_stage_runs_the_ci_scripts(self):
        build = self.stages[0]
        runs = [a for i, a in build["instructions"] if i == "RUN"]
        # the build profile and the plain tree: the image ships neither tests nor ASan
        self.assertEqual(runs, ["scripts/deps build && scripts/build --plain"])
        copies = [a for i, a in build["instructions"] if i == "COPY"]
        self.assertEqual(copies, [". ."], "the build stage copies the whole repository")
        with open(os.path.join(REPO, "scripts", "build")) as f:
            self.assertRegex(f.read(), r"(?m)^--plain\)", "scripts/build has no --plain")

    def test_build_profile_is_what_building_needs(self):
        build, test = deps_profile("build"), deps_profile("test")
        self.assertEqual(deps_profile(None), test, "scripts/deps alone is not the test profile")
        self.assertTrue(build < test, "the test profile does not include the build profile")
        # what only the tests, the demo or the kernel matrix run
        for p in ("qemu-system-x86", "prometheus", "runc", "busybox-static", "python3-yaml",
                  "python3-grpcio", "python3-protobuf", "clang-format"):
            self.assertNotIn(p, build)
            self.assertIn(p, test)
        # every package whose files configuring the build looks for
        needed = set()
        for mod in cmake_required_modules():
            r = subprocess.run(["pkg-config", "--path", mod], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, f"pkg-config {mod}: {r.stderr.strip()}")
            needed.add(debian_package_of(r.stdout.strip()))
        for prog in cmake_required_programs():
            path = shutil.which(prog, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
            self.assertIsNotNone(path, f"{prog}: not installed here")
            needed.add(debian_package_of(path))
        self.assertEqual(needed - build, set(), "configuring needs packages the build "
                         "profile does not install")

    def test_referenced_repo_paths_exist(self):
        for n, stage in enumerate(self.stages):
            for ins, args in stage["instructions"]:
                if ins == "COPY":
                    words = [w for w in shlex.split(args) if not w.startswith("--")]
                    if "--from=" in args:
                        continue  # from another stage, checked below
                    for src in words[:-1]:
                        self.assertTrue(os.path.exists(os.path.join(REPO, src)),
                                        f"COPY {src}: not in the repository")
                elif ins == "RUN" and n == 0:  # only the build stage has the repository
                    for tok in re.split(r"[\s;&|()]+", args):
                        if re.match(r"^(\./)?[\w.-]+(/[\w.-]+)+$", tok):
                            rel = os.path.normpath(tok)
                            path = os.path.join(REPO, rel)
                            self.assertTrue(os.path.isfile(path), f"RUN {tok}: not in the repository")
                            self.assertTrue(os.access(path, os.X_OK), f"RUN {tok}: not executable")
                            self.assertFalse(dockerignored(rel, self.ignore),
                                             f"RUN {tok}: excluded by .dockerignore")

    def test_build_output_is_what_scripts_build_makes(self):
        build, final = self.stages
        copies = [shlex.split(a) for i, a in final["instructions"] if i == "COPY"]
        # the agent and its CLI, both from the build stage's build/
        self.assertEqual([c[0] for c in copies], ["--from=build", "--from=build"])
        self.assertEqual([c[1:] for c in copies], [
            [os.path.join(self._workdir(build), "build", b), f"/usr/local/bin/{b}"]
            for b in ("panoptesd", "panoptesctl")])
        with open(os.path.join(REPO, "scripts", "build")) as f:
            self.assertRegex(f.read(), r"build=\$\{BUILD_DIR:-build\}",
                             "scripts/build no longer builds into build/")
        with open(os.path.join(REPO, "CMakeLists.txt")) as f:
            self.assertRegex(f.read(), r"\bpanoptesd\b")

    def test_runtime_stage(self):
        final = self.stages[1]
        runs = [a for i, a in final["instructions"] if i == "RUN"]
        self.assertEqual(len(runs), 1)
        run = runs[0]
        self.assertIn("--no-install-recommends", run)
        self.assertIn("rm -rf /var/lib/apt/lists/*", run)
        self.assertTrue(RUNTIME_PACKAGES <= runtime_packages(run),
                        f"missing: {RUNTIME_PACKAGES - runtime_packages(run)}")
        ep = [a for i, a in final["instructions"] if i == "ENTRYPOINT"]
        self.assertEqual(ep, ['["/usr/local/bin/panoptesd"]'])

    def test_dockerignore(self):
        self.assertTrue(dockerignored(".git", self.ignore))
        self.assertTrue(dockerignored(".git/HEAD", self.ignore))
        self.assertTrue(dockerignored("build/panoptesd", self.ignore))
        self.assertTrue(dockerignored("build-asan/CMakeCache.txt", self.ignore))
        # the build needs every source file: none may be excluded
        files = repo_files()
        self.assertIn("scripts/deps", files)
        excluded = [f for f in files if dockerignored(f, self.ignore)]
        self.assertEqual(excluded, [], "source files excluded from the build context")

    def test_runtime_libraries_of_the_binary(self):
        binary = panoptesd_binary()
        if not binary:
            self.skipTest("no panoptesd binary (set PANOPTESD or build build/panoptesd): "
                          "runtime libraries not compared")
        # The binary's own DT_NEEDED entries (apt brings their dependencies),
        # located where the dynamic loader finds them.
        r = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        sonames = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", r.stdout))
        self.assertTrue(sonames, r.stdout)
        r = subprocess.run(["ldd", binary], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        where = dict(re.findall(r"^\s*(\S+)\s+=>\s+(/\S+)", r.stdout, re.M))
        needed = set()
        for so in sonames:
            self.assertIn(so, where, f"{binary}: the loader does not find {so}")
            needed.add(debian_package_of(where[so]))
        run = [a for i, a in self.stages[1]["instructions"] if i == "RUN"][0]
        missing = needed - runtime_packages(run) - BASE_PACKAGES
        self.assertEqual(missing, set(), f"{binary} links libraries from packages the "
                         "runtime stage does not install")


def deps_profile(profile):
    """The packages `scripts/deps --list PROFILE` names."""
    argv = [os.path.join(REPO, "scripts", "deps"), "--list"] + ([profile] if profile else [])
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr}")
    return set(r.stdout.split())


def cmake_files():
    for top, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
        if "CMakeLists.txt" in files:
            yield os.path.join(top, "CMakeLists.txt")


def cmake_required_modules():
    """pkg-config modules of every REQUIRED pkg_check_modules(), versions dropped."""
    mods = set()
    for path in cmake_files():
        with open(path) as f:
            text = f.read()
        for args in re.findall(r"pkg_check_modules\(\s*\w+\s+([^)]*)\)", text):
            words = args.split()
            if "REQUIRED" in words:
                mods |= {re.split(r"[<>=]", w)[0] for w in words
                         if w not in ("REQUIRED", "IMPORTED_TARGET", "QUIET", "GLOBAL")}
    if not mods:
        raise AssertionError("no pkg_check_modules(... REQUIRED ...) in CMakeLists.txt")
    return mods


def cmake_required_programs():
    progs = set()
    for path in cmake_files():
        with open(path) as f:
            text = f.read()
        for args in re.findall(r"find_program\(\s*\w+\s+([^)]*)\)", text):
            if "REQUIRED" in args.split():
                progs.add(args.split()[0])
    return progs


def runtime_packages(run):
    words = shlex.split(run)
    i = words.index("install")
    out = set()
    for w in words[i + 1:]:
        if w in ("&&", ";"):
            break
        if not w.startswith("-"):
            out.add(w)
    return out


def debian_package_of(lib):
    cands = [lib, os.path.realpath(lib)]
    for c in list(cands):  # merged /usr: dpkg may know either spelling
        if c.startswith("/usr/lib/"):
            cands.append(c[len("/usr"):])
        elif c.startswith("/lib/"):
            cands.append("/usr" + c)
    for c in cands:
        r = subprocess.run(["dpkg-query", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0].strip()
    raise AssertionError(f"no Debian package owns {lib}")


class Binary(unittest.TestCase):
    """The manifests against the real panoptesd."""

    @classmethod
    def setUpClass(cls):
        cls.binary = panoptesd_binary()
        if not cls.binary:
            raise unittest.SkipTest("no panoptesd binary (set PANOPTESD or build "
                                    "build/panoptesd): DaemonSet flags not checked against --help")
        r = subprocess.run([cls.binary, "--help"], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError(f"{cls.binary} --help exited {r.returncode}: {r.stderr}")
        cls.help = r.stdout
        deploy = load_deploy()
        cls.pod = one(deploy, "DaemonSet")["spec"]["template"]["spec"]
        cls.deploy = deploy

    def test_daemonset_flags_in_help(self):
        flags = [a.split("=", 1)[0] for c in self.pod["containers"] for a in c["args"]
                 if a.startswith("-")]
        self.assertTrue({a for a in TLS_ARGS if a.startswith("-")} <= set(flags))
        missing = [f for f in flags if not help_flag_re(f).search(self.help)]
        self.assertEqual(missing, [], f"the DaemonSet passes flags `{self.binary} --help` "
                         "does not list")

    def test_policy_accepted_by_panoptesd(self):
        """panoptesd's own parser is strict (unknown keys, events...): a typo in the
        ConfigMap would crash-loop every agent. Runs the real agent with it: it must
        get past the policy and stop, if at all, only on a target this machine lacks."""
        if os.geteuid() != 0:
            self.skipTest("needs root: panoptesd loads its programs before resolving targets")
        cm = [c for c in objects(self.deploy, "ConfigMap")
              if c["metadata"]["name"] == "panoptes-policy"][0]
        text = cm["data"]["policy.yaml"]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "policy.yaml")
            with open(path, "w") as f:
                f.write(text)
            argv = [self.binary, "--policy", path]
            # no pins, no listener: this check must not disturb anything else
            for flag in ("--pin-path", "--metrics-listen", "--listen", "--socket"):
                if help_flag_re(flag).search(self.help):
                    argv += [flag, ""]
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True)
            try:
                _, err = p.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGTERM)  # the targets exist here: it runs
                _, err = p.communicate(timeout=30)
                self.assertEqual(p.returncode, 0, err)
                return
        errors = [l for l in err.splitlines() if l.startswith("panoptesd: error: ")]
        self.assertEqual(len(errors), 1, err)
        names = "|".join(re.escape(w["name"]) for w in policy_watches(text))
        # FILE: watch NAME: cgroup|container ...: not found / no cgroup found
        self.assertRegex(errors[0], rf"^panoptesd: error: {re.escape(path)}: watch ({names}): "
                         r"(cgroup \S+: not found|container \S+: no cgroup found)")
        self.assertEqual(p.returncode, 1, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
