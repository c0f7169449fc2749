#!/usr/bin/env bash
# Real run records against the tools that read them: a small `tpbench run --quick` record
# validates against docs/run-record.schema.json (Debian's python3-jsonschema); Google Benchmark's
# compare.py reads two records; and a record cut short by Ctrl-C (the real SIGINT path, sent by the
# process itself after its third benchmark run through a test hook) holds only measured
# repetitions, so compare.py sees no -100% change and the true repetition counts.
#
# Usage: record_tools_test.sh TPBENCH SCHEMA   (run by CTest; exits non-zero on the first failure)
set -euo pipefail
tpbench=$1
schema=$2
python=/usr/bin/python3
compare=/usr/share/benchmark/compare.py
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Two benchmarks, three repetitions each: small enough to take seconds.
run_small() {
  "$tpbench" run --quick --no-progress --suite creation --backend pthread \
    --filter 'start_latency/backend:pthread/placement:same_cpu' --out "$1" >"$1.out" 2>&1
}

# The record validates against the schema (purpose: the schema describes what run writes).
validate() {
  "$python" - "$schema" "$1" <<'EOF' || fail "$1 does not match the schema"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:10]:
    print("  at", "/".join(str(p) for p in e.absolute_path), ":", e.message[:200], file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
}

# --- a full record: schema, and compare.py reads two of them -----------------------------------
run_small a.json || fail "tpbench run failed: $(cat a.json.out)"
run_small b.json || fail "tpbench run failed: $(cat b.json.out)"
validate a.json
"$python" "$compare" --no-color -d ab.json benchmarks a.json b.json >ab.out ||
  fail "compare.py could not read two records: $(cat ab.out)"
"$python" - <<'EOF' || fail "compare.py did not compare every benchmark of the records"
import json
rows = json.load(open("ab.json"))
names = {r["name"] for r in rows if r["run_type"] == "iteration"}
record = {b["run_name"] for b in json.load(open("a.json"))["benchmarks"] if b["run_type"] == "iteration"}
assert len(record) == 2 and names == record, (names, record)
for r in rows:
    if r["run_type"] == "iteration":
        assert len(r["measurements"]) == 3, r
EOF

# --- a partial record: only measured repetitions --------------------------------------------------
status=0
TPB_TEST_INTERRUPT_AFTER_RUNS=3 run_small p.json || status=$?
[ "$status" -eq 130 ] || fail "interrupted run exited $status, not 130: $(cat p.json.out)"
validate p.json
"$python" - <<'EOF' || fail "the partial record holds repetitions that never ran"
import json
record = json.load(open("p.json"))
assert record["tpbench"]["partial"] is True
counts = {}
for b in record["benchmarks"]:
    if b["run_type"] != "iteration":
        continue
    assert not b.get("error_occurred", False), b
    assert b["real_time"] > 0, b
    counts[b["run_name"]] = counts.get(b["run_name"], 0) + 1
# Three runs reported: both benchmarks of the first pass, the first of the second.
assert sorted(counts.values()) == [1, 2], counts
EOF
"$python" "$compare" --no-color -d ap.json benchmarks a.json p.json >ap.out ||
  fail "compare.py could not read a partial record: $(cat ap.out)"
"$python" - <<'EOF' || fail "compare.py saw unmeasured repetitions in the partial record"
import json
rows = [r for r in json.load(open("ap.json")) if r["run_type"] == "iteration"]
assert len(rows) == 2, rows
for r in rows:
    for m in r["measurements"]:
        assert m["real_time_other"] > 0 and m["time"] > -0.5, m
    if r["utest"]:
        assert r["utest"]["nr_of_repetitions_other"] == len(r["measurements"]), r["utest"]
assert sorted(len(r["measurements"]) for r in rows) == [1, 2], rows
EOF
echo "record tools: schema, compare.py on full and partial records: ok"
