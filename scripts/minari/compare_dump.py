"""Compares what limbic read from a Minari-written dataset (`limbic demos dump`) with what Python
wrote into it (`expected.json` from write_datasets.py).

    python compare_dump.py EXPECTED.json DUMP.jsonl
"""
import json, sys

expected = json.load(open(sys.argv[1]))
dumped = [json.loads(line) for line in open(sys.argv[2])]
assert len(expected) == len(dumped), (len(expected), len(dumped))
fields = 0
for i, (want, got) in enumerate(zip(expected, dumped)):
    for key in ["seed", "observations", "actions", "rewards", "terminations", "truncations"]:
        assert want[key] == got[key], f"episode {i}: {key} differs"
        fields += 1
print(f"  OK {sys.argv[2]}: {len(dumped)} episodes, {fields} fields equal")
