"""`python -m opendata`: the same as the `opendata` command."""

from opendata.cli import run

run()
