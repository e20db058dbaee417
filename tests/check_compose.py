#!/usr/bin/env python3
"""docker-compose.kafka.yml against the Compose specification's JSON Schema (a copy in
tests/fixtures/schemas), plus what --scale and the start order need; the Dockerfile is multi-stage."""
import json, os, re, sys
import jsonschema, yaml

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
schema = json.load(open(os.path.join(root, "tests/fixtures/schemas/compose-spec.json")))
compose = yaml.safe_load(open(os.path.join(root, "docker-compose.kafka.yml")))
jsonschema.Draft7Validator(schema).validate(compose)

s = compose["services"]
assert {"kafka", "redis", "topics", "inspector"} <= set(s), sorted(s)
kafka_env = s["kafka"]["environment"]
assert "broker,controller" in kafka_env["KAFKA_PROCESS_ROLES"] and "KAFKA_CONTROLLER_QUORUM_VOTERS" in kafka_env, "KRaft mode"
insp = s["inspector"]
assert "container_name" not in insp and "ports" not in insp, "a fixed name or host port would break --scale"
assert insp["depends_on"]["topics"]["condition"] == "service_completed_successfully", "inspectors start after topics apply"
assert "topics apply" in " ".join(s["topics"]["command"]) and s["topics"]["restart"] == "no", "one-shot topics apply"
# Every SHIELDFLOW_* variable the compose file sets is one the daemon knows.
known = {"brokers", "group_id", "batch_size", "workers", "rules", "model", "max_record_bytes", "redis_url", "fail_mode", "policy", "assignment", "http_port"}
extra = {"webhook_secret", "datadog_spool", "datadog_flush_seconds", "datadog_incident_window_seconds", "datadog_spool_max_bytes", "datadog_audit_logs", "datadog_timeout_ms"}
for svc in s.values():
    for k in (svc.get("environment") or {}):
        if k.startswith("SHIELDFLOW_"):
            assert k[len("SHIELDFLOW_"):].lower() in known | extra, f"unknown setting {k}"
config_src = open(os.path.join(root, "Sources/ShieldFlowPipeline/Configuration.swift")).read()
declared = set(re.findall(r'"([a-z_]+)"', re.search(r"let known: Set<String> = \[(.*?)\]", config_src).group(1)))
assert known == declared, f"check_compose's list is stale: {sorted(known ^ declared)}"

docker = open(os.path.join(root, "Dockerfile")).read()
stages = re.findall(r"^FROM\s+(\S+)", docker, re.M)
assert len(stages) >= 2, "multi-stage Dockerfile"
assert "--static-swift-stdlib" in docker and "COPY rules" in docker and "USER " in docker
print(f"compose: valid against the Compose spec; services {', '.join(sorted(s))}; Dockerfile stages {', '.join(stages)}")
