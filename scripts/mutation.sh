#!/usr/bin/env bash
# Mutation testing of the core (structural/, semantic/, release/) with mutmut: a weekly job, not
# CI (a full run takes hours on two cores). Configuration: [tool.mutmut] in pyproject.toml.
#
#   bash scripts/mutation.sh                                     # every mutant
#   bash scripts/mutation.sh 'opendata.structural.constraints*'  # a subset, by mutant name
#   MUTATION_SAMPLE=300 bash scripts/mutation.sh                 # a uniform random sample
#
# A sample (seeded by MUTATION_SEED, default 15) estimates the score of the whole in a fraction
# of the time; the script prints the estimate with its 95 % interval (Wilson).
# Prints mutmut's results and the score (killed / (killed + survived)); docs/testing.md keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VENV:-.venv}"
rm -rf mutants
jobs="${MUTATION_JOBS:-2}"
if [ -n "${MUTATION_SAMPLE:-}" ]; then
  # A name that matches nothing: mutmut generates every mutant and measures coverage, tests none.
  "$venv/bin/mutmut" run --max-children "$jobs" 'opendata.no-such-mutant' >/dev/null 2>&1 || true
  "$venv/bin/mutmut" results --all true > mutants/all.txt 2>&1 || true
  mapfile -t sample < <("$venv/bin/python" - "$MUTATION_SAMPLE" "${MUTATION_SEED:-15}" <<'PY'
import random
import re
import sys
from pathlib import Path

names = sorted(set(re.findall(r"^\s*(opendata\.\S+?):", Path("mutants/all.txt").read_text(), re.M)))
print(f"{len(names)} mutants in all", file=sys.stderr)
random.seed(int(sys.argv[2]))
print("\n".join(random.sample(names, min(int(sys.argv[1]), len(names)))))
PY
)
  set -- "${sample[@]}"
fi
"$venv/bin/mutmut" run --max-children "$jobs" "$@" || true
"$venv/bin/mutmut" results --all true > mutants/results.txt 2>&1 || "$venv/bin/mutmut" results > mutants/results.txt 2>&1 || true
"$venv/bin/python" - "$@" <<'PY'
import fnmatch
import math
import re
import sys
from pathlib import Path

wanted = sys.argv[1:]
counts: dict[str, int] = {}
survivors = []
for name, status in re.findall(r"^\s*(opendata\.\S+?):\s*(\w[\w ]*)$", Path("mutants/results.txt").read_text(), re.M):
    if wanted and not any(fnmatch.fnmatch(name, w) for w in wanted):
        continue
    counts[status.strip()] = counts.get(status.strip(), 0) + 1
    if status.strip() in ("survived", "no tests"):
        survivors.append(name)
# A mutant no test runs counts as surviving; one that makes the tests time out, as killed.
killed = counts.get("killed", 0) + counts.get("timeout", 0)
survived = counts.get("survived", 0) + counts.get("no tests", 0)
total = killed + survived
print(counts)
print("survivors:", *survivors, sep="\n  ")
if total:
    p, z = killed / total, 1.96
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    print(f"mutation score: {killed}/{total} killed = {100 * p:.1f} % "
          f"(95 % interval {100 * (centre - half):.1f}-{100 * (centre + half):.1f} %)")
PY
