#!/usr/bin/env python3
"""Checks Kubernetes Job manifests (YAML documents, or JSON; a v1 List is unpacked) against the
vendored batch/v1 Job schema (tests/fixtures/k8s/job-batch-v1.schema.json: types, required fields,
no unknown fields) and against what the Job controller and the API server's validation need beyond
the schema. Prints every problem and exits 1, or prints "ok: N Jobs" and exits 0.

    validate_job.py SCHEMA MANIFEST
"""
import json
import re
import sys

import jsonschema
import yaml

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
EXPANSION = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def controller_problems(job):
    """What the API server's validation of a Job and its pod template refuses, beyond types."""
    problems = []
    if job.get("apiVersion") != "batch/v1" or job.get("kind") != "Job":
        return [f"not a batch/v1 Job: {job.get('apiVersion')} {job.get('kind')}"]
    name = (job.get("metadata") or {}).get("name") or ""
    if not DNS_LABEL.match(name) or len(name) > 63:
        problems.append(f"metadata.name {name!r}: not a DNS-1123 label of at most 63 characters")
    spec = job.get("spec") or {}
    if spec.get("selector") is not None or spec.get("manualSelector"):
        problems.append("spec.selector/manualSelector set: the controller makes the selector")
    if spec.get("completionMode") == "Indexed":
        completions = spec.get("completions")
        if not isinstance(completions, int) or completions < 1:
            problems.append("Indexed Job without spec.completions >= 1")
        else:
            # Pods of an Indexed Job get the hostname "<job name>-<index>" (a DNS-1123 label).
            if len(f"{name}-{completions - 1}") > 63:
                problems.append(f"{name}-<index> is longer than 63 characters")
            if spec.get("parallelism", 1) > completions:
                problems.append("spec.parallelism > spec.completions")
    elif spec.get("completionMode") not in (None, "NonIndexed"):
        problems.append(f"spec.completionMode {spec.get('completionMode')!r}")
    for key in ("backoffLimit", "parallelism", "completions"):
        if key in spec and (not isinstance(spec[key], int) or spec[key] < 0):
            problems.append(f"spec.{key} must be a non-negative integer")
    pod = ((spec.get("template") or {}).get("spec")) or {}
    if pod.get("restartPolicy") not in ("Never", "OnFailure"):
        problems.append("spec.template.spec.restartPolicy must be Never or OnFailure for a Job")
    containers = pod.get("containers") or []
    if not containers:
        problems.append("spec.template.spec.containers is empty")
    volumes = {}
    for volume in pod.get("volumes") or []:
        volumes[volume.get("name")] = volume
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if "persistentVolumeClaim" in volume and not claim:
            problems.append(f"volume {volume.get('name')!r}: persistentVolumeClaim without claimName")
    for c in containers:
        cname = c.get("name") or ""
        if not DNS_LABEL.match(cname):
            problems.append(f"container name {cname!r} is not a DNS-1123 label")
        if not c.get("image"):
            problems.append(f"container {cname!r} has no image")
        for mount in c.get("volumeMounts") or []:
            if mount.get("name") not in volumes:
                problems.append(f"container {cname!r} mounts {mount.get('name')!r}: no such volume")
            if not str(mount.get("mountPath", "")).startswith("/"):
                problems.append(f"container {cname!r}: mountPath is not absolute")
        declared = {e.get("name") for e in c.get("env") or []}
        if spec.get("completionMode") == "Indexed":
            declared.add("JOB_COMPLETION_INDEX")  # the controller adds it
        for word in (c.get("command") or []) + (c.get("args") or []):
            for var in EXPANSION.findall(word.replace("$$", "")):
                if var not in declared:
                    problems.append(f"container {cname!r}: $({var}) is not an env variable of it")
    return problems


def main(schema_path, manifest_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    with open(manifest_path, encoding="utf-8") as f:
        documents = [d for d in yaml.safe_load_all(f) if d is not None]
    jobs = []
    for d in documents:
        jobs.extend(d.get("items", []) if d.get("kind") == "List" else [d])
    problems = []
    for job in jobs:
        name = (job.get("metadata") or {}).get("name")
        for error in validator.iter_errors(job):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            problems.append(f"{name}: {where}: {error.message}")
        problems.extend(f"{name}: {p}" for p in controller_problems(job))
    if not jobs:
        problems.append("no Job in the manifest")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"ok: {len(jobs)} Jobs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
