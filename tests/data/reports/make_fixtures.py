#!/usr/bin/env python3
"""Writes the report tests' fixed inputs (run once by hand; the outputs are checked in).

  run_16cpu.json  a run record as from a 16-CPU machine with two L3 groups: the measurements of a
                  real quick run on the development machine (SOURCE), pruned to a few scenarios
                  per case, with the topology, placements, c2c matrix and a context-switch
                  other_l3 placement of a 16-CPU two-L3 machine written in. The machine block is
                  recomputed as reports/machine_identity.cpp computes it.
  c2c_64.json,    core-to-core matrices of 64 and 128 CPUs from fixed formulas (8 CPUs per L3,
  c2c_128.json    64 CPUs per package), to show the heatmap stays readable.

Usage: tests/data/reports/make_fixtures.py SOURCE.json   (a record from `tpbench run --quick`)
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def machine_block(t):
    v = t["virtualisation"]
    virt = v.get("vm") or ("unknown-vm" if v.get("hypervisor_flag") else "none")
    if v.get("container"):
        virt += "/container:" + v["container"]
    backends = ",".join(b["name"] + "".join("/%s:%s" % (x["key"], x["value"]) for x in b["variants"])
                        for b in t["backends"])
    parts = [("cpu_model", t.get("cpu_model") or "unknown"),
             ("kernel", t["kernel"]["release"] if t.get("kernel") else "unknown"),
             ("virtualisation", virt), ("topology", t["topology"]["summary"]),
             ("backends", backends),
             ("priority_map", ",".join("%d=%s" % (m["kpriority"], m["host"]) for m in t["priority_map"]))]
    text = "".join("%s=%s\n" % p for p in parts)
    return {"fingerprint": "%016x" % fnv1a64(text), "parts": dict(parts)}


def c2c_matrix(n, per_l3=8, per_package=64):
    def latency(i, j):
        a, b = min(i, j), max(i, j)
        if a // per_package != b // per_package:
            return 310.0 + (a * 7 + b * 3) % 23
        if a // per_l3 != b // per_l3:
            return 118.0 + (a * 5 + b * 11) % 17
        return 36.0 + (a * 3 + b * 7) % 9
    return {"cpus": list(range(n)),
            "matrix_ns": [[0.0 if i == j else latency(i, j) for j in range(n)] for i in range(n)]}


def keep(name):
    seg = name.split("/")
    if seg[0] == "creation" and seg[1] == "start_latency":
        return "priority:8" in seg and ("placement:same_cpu" in seg or "placement:other_cpu" in seg)
    if seg[0] == "creation" and seg[1] == "ddi":
        return "ddi:PsCreateSystemThread" in seg
    if seg[0] == "creation":
        return seg[1] == "round_trip"
    if seg[0] == "ctxswitch":
        return "mechanism:futex" in seg or "mechanism:pipe" in seg
    return seg[0] in ("c2c", "inversion")


def main(source):
    record = json.load(open(source))
    out = []
    for e in record["benchmarks"]:
        if not keep(e["run_name"]):
            continue
        if e["run_type"] == "aggregate" and e.get("aggregate_name") != "median":
            continue
        out.append(e)
        # The larger machine's third placement: futex across L3 groups, slower than within one.
        if e["run_name"].startswith("ctxswitch/") and "mechanism:futex" in e["run_name"] \
                and "placement:same_l3" in e["run_name"]:
            other = json.loads(json.dumps(e).replace("placement:same_l3", "placement:other_l3"))
            for key in ("p50_ns", "p90_ns", "p99_ns", "max_ns", "mean_ns", "real_time", "cpu_time",
                        "round_trip_p50_ns", "round_trip_mean_ns"):
                if isinstance(other.get(key), (int, float)):
                    other[key] = round(other[key] * 1.6, 3)
            other["migrations_per_op"] = 0.02
            out.append(other)
    record["benchmarks"] = out

    ctx = record["context"]
    ctx.update({"date": "2026-11-30T12:00:00+00:00", "host_name": "bench-16", "num_cpus": 16,
                "executable": "build/release/cli/tpbench", "library_build_type": "release",
                "load_avg": [0.12, 0.2, 0.25]})
    t = record["tpbench"]
    t["cpu_model"] = "AMD EPYC 7313P 16-Core Processor"
    t["git_revision"] = "0123456789abcdef0123456789abcdef01234567"
    t["command_line"] = ["tpbench", "run", "--quick"]
    t["options"]["out"] = "reports/out/run.json"
    t["kernel"] = {"sysname": "Linux", "release": "6.1.0-27-amd64",
                   "version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1", "machine": "x86_64"}
    t["virtualisation"] = {"virtualised": False, "vm": None, "container": None,
                           "hypervisor_flag": False, "hypervisor_vendor": None,
                           "method": "systemd-detect-virt"}
    t["topology"] = {
        "summary": "1 package, 1 NUMA node, 2 L3, 16 cores, 16 PUs", "packages": 1, "numa_nodes": 1,
        "l3_groups": 2, "cores": 16, "logical_cpus": 16, "smt": False, "excluded_cpus": [],
        "cpus": [{"os_index": i, "core": i, "l3": i // 8, "numa": 0, "package": 0} for i in range(16)],
        "placements": [
            {"placement": "same_cpu", "available": True, "cpus": [0, 0], "skipped_reason": None},
            {"placement": "smt_sibling", "available": False, "cpus": None,
             "skipped_reason": "no core has two hardware threads (SMT off or absent)"},
            {"placement": "same_l3", "available": True, "cpus": [0, 1], "skipped_reason": None},
            {"placement": "other_l3", "available": True, "cpus": [0, 8], "skipped_reason": None},
            {"placement": "other_numa", "available": False, "cpus": None,
             "skipped_reason": "the machine has one NUMA node"}]}
    t["skipped"] = [s for s in t["skipped"] if "other_l3" not in s["what"]]
    t["c2c"] = c2c_matrix(16)
    t["doctor"] = [d for d in t["doctor"] if d["check"] != "virtualisation"]
    for d in t["doctor"]:
        if d["check"] == "load":
            d["observed"] = "load average 1.90 0.80 0.40 on 16 CPUs: other work competes for the CPUs"
    t["wall_seconds"] = {"total": 14.5, "by_case": {k: round(v, 3) for k, v in t["wall_seconds"]["by_case"].items()}}
    t["machine"] = machine_block(t)
    with open(os.path.join(HERE, "run_16cpu.json"), "w") as f:
        json.dump(record, f, indent=2, sort_keys=True)
        f.write("\n")
    for n in (64, 128):
        with open(os.path.join(HERE, "c2c_%d.json" % n), "w") as f:
            json.dump(c2c_matrix(n), f, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
