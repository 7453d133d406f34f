#!/usr/bin/env python3
"""Validates lmmbench run records against reports/schema/run.schema.json (JSON Schema 2020-12).

usage: validate_run_record.py SCHEMA PATH...   (a PATH may be a run.json or a directory, searched
for run.json files recursively)

Exit status: 0 every record is valid, 1 a record is invalid (each error is printed with its file
and JSON path), 2 bad usage or an unreadable file, 77 the jsonschema module is missing
(python3-jsonschema; scripts/install-deps.sh installs it) - CTest reports that as skipped.
"""
import json
import pathlib
import sys


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import jsonschema
    except ImportError:
        print("SKIP: the Python module jsonschema is not installed "
              "(Debian: python3-jsonschema; scripts/install-deps.sh installs it)")
        return 77
    schema = json.loads(pathlib.Path(argv[1]).read_text(encoding="utf-8"))
    validator_class = jsonschema.Draft202012Validator
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    records = []
    for arg in argv[2:]:
        path = pathlib.Path(arg)
        records.extend(sorted(path.rglob("run.json")) if path.is_dir() else [path])
    if not records:
        print("no run.json found under: " + " ".join(argv[2:]), file=sys.stderr)
        return 2
    failed = 0
    for record in records:
        try:
            instance = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            print(f"{record}: cannot read: {error}", file=sys.stderr)
            return 2
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        for error in errors:
            where = "/" + "/".join(str(p) for p in error.absolute_path)
            print(f"{record}: {where}: {error.message}")
        failed += bool(errors)
    print(f"{len(records) - failed} of {len(records)} run records valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
