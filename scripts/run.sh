#!/usr/bin/env bash
# make run: the end-to-end job on embedded defaults. Grows with the project.
set -euo pipefail
cd "$(dirname "$0")/.."
./bin/safeharbor version
./bin/safeharbor help
