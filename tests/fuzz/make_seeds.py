#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the binary seeds of the convert, format, consumer and state fuzz targets
(tests/fuzz/<name>_seeds/gen-*), in the shapes the unit tests use. The seeds
are committed; run this again (with Debian's python3-protobuf and protoc)
after a change to the protos, the record layout or an input layout:

    /usr/bin/python3 tests/fuzz/make_seeds.py

Files that are not gen-* (crash inputs kept as regressions, policy seeds)
are left alone."""
import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))


def stubs():
    out = tempfile.mkdtemp(prefix="pn-seeds-")
    subprocess.run(["protoc", f"--python_out={out}", "-I", PROTO_DIR, "argus.proto",
                    "janus.proto", "panoptes/v1/agent.proto", "panoptes/state/v1/state.proto"],
                   check=True)
    sys.path.insert(0, out)
    import argus_pb2
    import janus_pb2
    from panoptes.v1 import agent_pb2
    from panoptes.state.v1 import state_pb2
    shutil.rmtree(out)
    return argus_pb2, janus_pb2, agent_pb2, state_pb2


def write(target, seeds):
    d = os.path.join(HERE, f"{target}_seeds")
    os.makedirs(d, exist_ok=True)
    for old in glob.glob(os.path.join(d, "gen-*")):
        os.remove(old)
    for name, data in seeds.items():
        with open(os.path.join(d, f"gen-{name}"), "wb") as f:
            f.write(data)


def convert_seeds(argus, agent):
    seeds = {}
    # fuzz_convert: byte 0 bit 0 = argus, bit 1 = wire check first
    for checked in (0, 2):
        c = argus.ArgusdConfig(name="web", podName="web-0", pid=[300, 100])
        s = c.subject.add(path=["/data//logs/"], event=["create", "closewrite"],
                          recursive=True)
        s.tags["team"] = "db"
        seeds[f"argus-pids-{checked}"] = bytes([1 | checked]) + c.SerializeToString()
        c = argus.ArgusdConfig(nodeName="node-b", cid=["containerd://bbb", "containerd://aaa"],
                               logFormat="{event} {path}{sep}{file} {time}")
        c.subject.add(path=["/etc", "/var/log"], event=["all"], ignore=["cache"],
                      onlyDir=True, maxDepth=3, recursive=True, followMove=True)
        seeds[f"argus-cids-{checked}"] = bytes([1 | checked]) + c.SerializeToString()

        w = agent.Watch(name="etc", pod="web-1", log_format="{comm} {pid} {path}")
        w.targets.cgroups.append("kubepods/pod1")
        w.targets.pids.extend([42])
        w.targets.containers.append("docker://4f2a")
        s = w.subjects.add(paths=["/etc"], recursive=True, max_depth=2)
        s.events.extend([agent.EVENT_TYPE_MODIFY, agent.EVENT_TYPE_MOVE])
        s.tags["app"] = "nginx"
        s.tags["team"] = "web"
        s = w.subjects.add(paths=["/var/lib/x/../y"], ignore=["tmp"], follow_move=True)
        s.events.extend([agent.EVENT_TYPE_CREATE])
        seeds[f"native-{checked}"] = bytes([checked]) + w.SerializeToString()
        # a selector alone, every part of it
        w = agent.Watch(name="web-pods")
        w.targets.namespaces.extend(["prod", "prod-*"])
        w.targets.container_names.append("app")
        w.targets.images.append("*/nginx:1.*")
        w.targets.pod_selector.match_labels["app"] = "web"
        w.targets.pod_selector.match_expressions.add(key="tier", operator="NotIn",
                                                     values=["a", "b"])
        w.targets.pod_selector.match_expressions.add(key="canary", operator="DoesNotExist")
        s = w.subjects.add(paths=["/etc"], recursive=True)
        s.events.extend([agent.EVENT_TYPE_CREATE])
        seeds[f"native-selector-{checked}"] = bytes([checked]) + w.SerializeToString()
    return seeds


def format_seeds():
    # fuzz_format: ts_ns, realtime offset, 4 bytes of choices, NUL-separated fields
    offset = 1795296049123456789
    fields = [b"{event} {ftype} '{path}{sep}{file}' ({pod}:{node}) {tags}",
              b"/etc/nginx/nginx.conf", b"nginx.conf", b"/etc/nginx/old.conf",
              b"/etc/link.conf", b"web-1", b"node-a", b"containerd://4f2a", b"nginx",
              b"app", b"nginx", b"team", b"web"]
    seeds = {}
    for name, ts, pick, fmt in (
            ("default", 5000000000, 0x00000001, fields[0]),
            ("every-specifier", 5000000000, 0x00070342,
             b"{event}|{ftype}|{path}|{file}|{sep}|{pod}|{node}|{tags}|{pid}|{comm}|{uid}|"
             b"{cgroup}|{container}|{time}"),
            ("late", (1 << 64) - 1, 0x00000306, b"{time} {nope} {{path}} {"),
            # the defect once found: ts_ns + offset overflowed int64 (UBSan)
            ("ts-overflow", (1 << 63) - 1, 0x00000001, b"{time}"),
            ("escapes", 1 << 62, 0x0003f1a0, b"tab\there \\ \xc2\x85 \xff {comm}")):
        f = list(fields)
        f[0] = fmt
        if name == "escapes":
            f[1] = b"/tmp/a\\b/x\nMODIFY file 'y'\xff\xfe"
            f[8] = b"ev\til\x7f\xc3\xa9-long-comm!"
        seeds[name] = struct.pack("<QqI", ts, offset, pick) + b"\0".join(f)
    return seeds


# struct pn_record (bpf/shared/panoptes_event.h): 88 bytes, then the paths
RECORD = struct.Struct("<QQQqIIIIIIIHHBB6x16s")
assert RECORD.size == 88
PN = dict(ACCESS=0x1, MODIFY=0x2, ATTRIB=0x4, CLOSE_WRITE=0x8, OPEN=0x20, MOVE=0xc0,
          CREATE=0x100, DELETE=0x200)
REC_ISDIR, REC_TRUNCATED, REC_EXCHANGE, REC_TYPE_UNKNOWN = 0x01, 0x02, 0x08, 0x10
REC_NAME_UNRESOLVED, REC_NAMED = 0x20, 0x40


def record(ops, path, old=b"", flags=0, comm=b"sh", backend=1, path_len=None, old_len=None):
    p = path + b"\0" if path is not None else b""
    o = old + b"\0" if old else b""
    return RECORD.pack(5000000000, 0, 0, 0, 200, 200, 0, 0, ops, 7 if old else 0, 257,
                       len(p) if path_len is None else path_len,
                       len(o) if old_len is None else old_len, flags, backend, comm) + p + o


def consumer_seeds():
    # fuzz_consumer: byte 0 = choices (bit 0 JSON, bit 1 keep the record's cgroup ids)
    recs = {
        "create": record(PN["CREATE"], b"/data/f"),
        "modify-dir": record(PN["MODIFY"], b"/data", flags=REC_ISDIR),
        "open-named": record(PN["OPEN"], b"/etc/real.conf", b"/etc/link.conf", flags=REC_NAMED,
                             backend=2),
        "move": record(PN["MOVE"], b"/data/new", b"/data/old"),
        "exchange": record(PN["MOVE"], b"/data/a", b"/data/b", flags=REC_EXCHANGE),
        "unresolved": record(PN["CREATE"], b"../data/./x//y", flags=REC_NAME_UNRESOLVED),
        "type-unknown": record(PN["ATTRIB"], b"/data/f", flags=REC_TYPE_UNKNOWN),
        "truncated": record(PN["DELETE"], b"/data/" + b"x" * 200, flags=REC_TRUNCATED),
        "longest": record(PN["CREATE"], b"/" + b"d" * 4094),
        "path-past-end": record(PN["CREATE"], b"/data/f", path_len=200),
        "no-nul": record(PN["CREATE"], b"/data/f")[:-1] + b"g",
        "comm-full": record(PN["ACCESS"], b"/data/f", comm=b"0123456789abcdef"),
        # the defect once found: NAMED with no second path reached strcmp(NULL, path)
        "named-without-name": record(PN["OPEN"], b"/etc/real.conf", flags=REC_NAMED,
                                     backend=2),
    }
    seeds = {}
    for name, rec in recs.items():
        seeds[f"{name}-text"] = bytes([0]) + rec
        seeds[f"{name}-json"] = bytes([1]) + rec
    return seeds


def cgroup_note_seeds():
    """Cgroup paths as each runtime and cgroup driver makes them (byte 0: the op, 1 made,
    2 removed; bit 7: no NUL), and ones that name no container."""
    cid = ("4f2a" * 16).encode()
    uid = "6f1c9d7e-2b1a-4c3d-9e8f-0a1b2c3d4e5f"
    return {
        "made-cgroupfs": b"\x01/kubepods/besteffort/pod" + uid.encode() + b"/" + cid,
        "made-systemd": b"\x01/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
        + uid.replace("-", "_").encode() + b".slice/cri-containerd-" + cid + b".scope",
        "removed-docker": b"\x02/docker/" + cid,
        "made-podman": b"\x01/libpod_parent/libpod-" + cid,
        "made-service": b"\x01/system.slice/cron.service",
        "no-nul": b"\x81/docker/" + cid,
        "bad-op": b"\x03/docker/" + cid,
    }


def seen_seeds(state):
    """containers.pb as panoptesd writes it with --lifecycle and --state-dir."""
    web = state.SeenContainer(container_id="4f2a" * 16, image="docker.io/library/nginx:1.25",
                              image_spec="nginx:1.25", image_id="sha256:" + "ab" * 32,
                              namespace="prod", pod="web-1", container_name="nginx")
    bare = state.SeenContainer(container_id="c0ffee")
    return {
        "two": state.SeenContainers(containers=[web, bare]).SerializeToString(),
        "same-twice": state.SeenContainers(containers=[web, web]).SerializeToString(),
        "no-id": state.SeenContainers(containers=[state.SeenContainer(pod="x"), web])
        .SerializeToString(),
        "empty": b"",
    }


def state_seeds(agent, state):
    """watches.pb as panoptesd writes it: its targets under the fuzz tree's cg/w."""
    ev = agent.EventType.Value
    native = state.StoredWatch(
        name="web", api=state.API_NATIVE, origin="api", owner="CN=ctl",
        watch=agent.Watch(name="web", pod="web-0", log_format="{event} {path}",
                          targets=agent.Targets(cgroups=["/w"]),
                          subjects=[agent.Subject(paths=["/data"], recursive=True, max_depth=2,
                                                  events=[ev("EVENT_TYPE_CREATE")],
                                                  tags={"team": "web"})]))
    argus = state.StoredWatch(
        name="ns/argus one", key="node-1/7,9", api=state.API_ARGUS, origin="argus",
        watch=agent.Watch(targets=agent.Targets(cgroups=["w"], pids=[1]),
                          subjects=[agent.Subject(paths=["/etc"], ignore=["cache"],
                                                  events=[ev("EVENT_TYPE_ALL")])]))
    gone = state.StoredWatch(name="gone", api=state.API_NATIVE, watch=agent.Watch(
        targets=agent.Targets(cgroups=["/not-there"]),
        subjects=[agent.Subject(paths=["/x"], events=[ev("EVENT_TYPE_DELETE")])]))
    return {
        "two": state.Watches(watches=[native, argus]).SerializeToString(),
        "one-gone": state.Watches(watches=[gone, native]).SerializeToString(),
        "same-twice": state.Watches(watches=[native, native]).SerializeToString(),
        "empty": b"",
    }


def janus_seeds(janus):
    """fuzz_convert's janus inputs (byte 0 bit 2), as janus-controller sends them."""
    seeds = {}
    for checked in (0, 2):
        c = janus.JanusdConfig(name="guard-web", nodeName="node-b", podName="web-0",
                               cid=["containerd://aaa", "containerd://bbb"],
                               logFormat="<{response}> {event} {ftype} '{path}' {tags}")
        s = c.subject.add(allow=["/etc//nginx/"], deny=["/etc/shadow", "/root"],
                          event=["open", "access"], autoAllowOwner=True, audit=True)
        s.tags["team"] = "web"
        c.subject.add(deny=["/var/run/secrets"], event=["all"], onlyDir=True)
        seeds[f"janus-{checked}"] = bytes([4 | checked]) + c.SerializeToString()
        c = janus.JanusdConfig(podName="p", pid=[7, 9], subject=[janus.JanusGuardSubject(
            deny=["/data"])])
        seeds[f"janus-pids-{checked}"] = bytes([4 | checked]) + c.SerializeToString()
    return seeds


def main():
    argus, janus, agent, state = stubs()
    write("convert", {**convert_seeds(argus, agent), **janus_seeds(janus)})
    write("format", format_seeds())
    write("consumer", consumer_seeds())
    write("state", state_seeds(agent, state))
    write("seen", seen_seeds(state))
    write("cgroup_note", cgroup_note_seeds())


if __name__ == "__main__":
    main()
