#!/usr/bin/env bash
# Mutation testing of the core (structural/, semantic/, release/) with mutmut: a weekly job, not
# CI (a full run takes hours on two cores). Configuration: [tool.mutmut] in pyproject.toml.
#
#   bash scripts/mutation.sh                                   # every mutant
#   bash scripts/mutation.sh 'opendata.structural.constraints*'  # a subset, by mutant name
#
# Prints mutmut's results and the score (killed / (killed + survived)); docs/testing.md keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VENV:-.venv}"
rm -rf mutants
"$venv/bin/mutmut" run --max-children "${MUTATION_JOBS:-2}" "$@" || true
"$venv/bin/mutmut" results --all true > mutants/results.txt 2>&1 || "$venv/bin/mutmut" results > mutants/results.txt 2>&1 || true
"$venv/bin/python" - <<'PY'
import re
from pathlib import Path

text = Path("mutants/results.txt").read_text()
counts = {}
for status in re.findall(r":\s*(\w[\w ]*)$", text, flags=re.M):
    counts[status.strip()] = counts.get(status.strip(), 0) + 1
killed, survived = counts.get("killed", 0), counts.get("survived", 0)
total = killed + survived
print(counts)
if total:
    print(f"mutation score: {killed}/{total} killed = {100 * killed / total:.1f} %")
PY
