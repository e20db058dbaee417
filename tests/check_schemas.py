#!/usr/bin/env python3
"""The event and decision contracts: example events against schemas/*, and every decision or
dead letter `shieldflow inspect` produces against the decision and dead-letter schemas. The Swift
decoder and the schemas must agree on which records are valid; a replay must give the same decisions."""
import json, os, subprocess, sys
import jsonschema

binary = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
schema = {n: json.load(open(os.path.join(root, "schemas", f"{n}.schema.json"))) for n in
          ["prompt_event", "response_event", "tool_call_event", "decision", "deadletter"]}
for s in schema.values():
    jsonschema.Draft202012Validator.check_schema(s)
valid = lambda s, o: jsonschema.Draft202012Validator(schema[s]).is_valid(o)
failures, checks = [], 0

def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)

cases = [("prompts.jsonl", "shieldflow.prompts.in", "prompt_event"), ("responses.jsonl", "shieldflow.responses.in", "response_event"),
         ("tools.jsonl", "shieldflow.tools.in", "tool_call_event")]
for name, topic, event_schema in cases:
    path = os.path.join(root, "examples", "events", name)
    lines = [l for l in open(path, encoding="utf-8").read().split("\n") if l]
    run = lambda: subprocess.run([binary, "inspect", "--rules", os.path.join(root, "rules"), "--topic", topic, "--input", path],
                                 capture_output=True, text=True, check=True).stdout.splitlines()
    out = [json.loads(l) for l in run()]
    check(len(out) == len(lines), f"{name}: one output per record")
    for i, (line, o) in enumerate(zip(lines, out)):
        try:
            event = json.loads(line)
            event_ok = valid(event_schema, event)
        except json.JSONDecodeError:
            event_ok = False
        if "decision_id" in o:
            check(event_ok, f"{name}:{i} decided but the event violates {event_schema}")
            errors = list(jsonschema.Draft202012Validator(schema["decision"]).iter_errors(o))
            check(not errors, f"{name}:{i} decision violates the schema: {[e.message for e in errors][:2]}")
            check(o["source"] == {"topic": topic, "partition": 0, "offset": i}, f"{name}:{i} source links back to the record")
        else:
            check(not event_ok, f"{name}:{i} dead-lettered a schema-valid event: {o}")
            check(valid("deadletter", o), f"{name}:{i} dead letter violates the schema: {o}")
    again = [json.loads(l) for l in run()]
    strip = lambda d: {k: v for k, v in d.items() if k != "latency_ms"}
    check([strip(d) for d in out] == [strip(d) for d in again], f"{name}: a replay yields the same decisions")
    for d in out:
        for f in d.get("findings", []):
            check("4539 1488" not in f["excerpt"] and "AKIA3BO4" not in f["excerpt"] and "sk_live_3IG8" not in f["excerpt"], "excerpts redacted")

if failures:
    print("schema checks FAILED:")
    for f in failures:
        print("  -", f)
    sys.exit(1)
print(f"schema checks: {checks} passed")
