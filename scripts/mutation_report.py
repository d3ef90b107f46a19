"""The mutation score of each mutated module, from the results `mutmut run` left in mutants/ (`make mutation`).

A mutant is killed when a test failed with it (or it ran out of time: an infinite loop is caught too); it survived
when every selected test passed. The score is killed / (killed + survived); mutants no test reaches count as
survivors, since a bug there would get through as well.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

TARGET = 0.85


def main() -> int:
    metas = sorted(Path("mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutation results: run `make mutation` first", file=sys.stderr)
        return 2
    print(f"{'module':<48} {'killed':>7} {'survived':>9} {'unchecked':>10} {'score':>6}")
    below = False
    for meta in metas:
        results = json.loads(meta.read_text())["exit_code_by_key"]
        counts = Counter(status_by_exit_code[code] for code in results.values())
        killed = counts["killed"] + counts["timeout"] + counts["segfault"] + counts["caught by type check"]
        survived = counts["survived"] + counts["no tests"] + counts["suspicious"]
        module = str(meta.relative_to("mutants/src")).removesuffix(".py.meta").replace("/", ".")
        checked = killed + survived
        score = killed / checked if checked else 0.0
        below |= score < TARGET
        print(f"{module:<48} {killed:>7} {survived:>9} {counts['not checked']:>10} {score:>6.1%}")
        for key, code in results.items():
            if status_by_exit_code[code] in ("survived", "no tests", "suspicious"):
                print(f"    survived: {key.split('.')[-1]}  (mutmut show {key})")
    return 1 if below else 0


if __name__ == "__main__":
    raise SystemExit(main())
