"""Helpers shared by the reference runners: reading `lmmbench score` input fixtures, loading
reference modules from a checkout outside the project, and writing expected-output fixtures.

Nothing here reimplements a metric: each runner imports the reference code and calls it.
"""

import importlib.util
import json
import os
import shlex
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures"))


def read_records(name):
    """The records of fixtures/<name>; answers in annotation form are reduced to their strings."""
    records = []
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if "answers" in r:
                r["answers"] = [a["answer"] if isinstance(a, dict) else a for a in r["answers"]]
            records.append(r)
    return records


def read_json_file(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_module(path, name):
    """Imports the Python file at `path` as module `name` (the reference is never copied)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def lmms_eval_package(root):
    """Makes `import lmms_eval.<sub>` resolve to the files of the lmms-eval checkout at `root`
    without running the package __init__ files (which pull in models, HF datasets and evaluate).
    `lmms_eval.api.registry` is replaced by no-op decorators: the runners call the metric
    functions directly, never through the registry."""
    pkg_root = os.path.join(root, "lmms_eval")
    if not os.path.isdir(pkg_root):
        sys.exit(f"no lmms_eval package under {root}")
    for name, sub in [("lmms_eval", ""), ("lmms_eval.api", "api"), ("lmms_eval.tasks", "tasks"),
                      ("lmms_eval.tasks._task_utils", os.path.join("tasks", "_task_utils"))]:
        module = types.ModuleType(name)
        module.__path__ = [os.path.join(pkg_root, sub)]
        sys.modules[name] = module
    registry = types.ModuleType("lmms_eval.api.registry")
    registry.register_metric = lambda **kwargs: (lambda fn: fn)
    registry.register_aggregation = lambda name: (lambda fn: fn)
    sys.modules["lmms_eval.api.registry"] = registry
    return pkg_root


def command_line():
    return " ".join(shlex.quote(a) for a in ["python3", os.path.relpath(sys.argv[0], os.path.join(HERE, "..", "..", ".."))] + sys.argv[1:])


def write_expected(name, *, reference, input_name, per_sample, aggregate, notes=""):
    doc = {"reference": reference, "command": command_line(), "input": input_name}
    if notes:
        doc["notes"] = notes
    doc["per_sample"] = per_sample
    doc["aggregate"] = aggregate
    path = os.path.join(FIXTURES, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}: {len(per_sample)} samples")


def git_commit(checkout):
    """The commit recorded in <checkout>/REFERENCE_COMMIT (written by the README's extraction
    commands), or 'unknown'."""
    path = os.path.join(checkout, "REFERENCE_COMMIT")
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    return "unknown"
