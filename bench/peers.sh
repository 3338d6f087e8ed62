#!/usr/bin/env bash
# grader vs Otter-Grader 7 vs nbgrader 0.9 on the peers' assignment, in one run, one table.
#
#   bash bench/peers.sh
#
# Installs the peers in their own virtual environment (PEERS_VENV, default /tmp/peers-venv),
# builds their assignment and the 20 generated notebooks with the peers' own scripts
# (PEERS_DIR, default ../shared/peers), times Otter (a loop of `otter run`, 30 s external
# timeout each: `otter grade` needs Docker) and nbgrader (`nbgrader autograde`, 10 s per cell)
# with their bench.py (their extras.py checks their leaks), then grades the same notebooks with grader (1 and 2 jobs) through
# bench/peers/compare.py, which prints the comparison. REPS (default 1) repeats the timings.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PEERS_DIR=${PEERS_DIR:-$HERE/../../shared/peers}
VENV=${PEERS_VENV:-/tmp/peers-venv}
BENCH=${PEERS_BENCH:-/tmp/peers-bench}
REPS=${REPS:-1}

if [ ! -x "$VENV/bin/otter" ] || [ ! -x "$VENV/bin/nbgrader" ]; then
  echo "== installing Otter-Grader and nbgrader into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "otter-grader>=7,<8" "nbgrader>=0.9,<0.10" ipykernel numpy
  "$VENV/bin/python" -m ipykernel install --sys-prefix
fi
GRADER_PYTHON=$(command -v python)  # the interpreter grader is installed in
export PEERS_VENV="$VENV"

rm -rf "$BENCH" && mkdir -p "$BENCH"
(
  export PATH="$VENV/bin:$PATH"  # nbgrader shells out to alembic
  python "$PEERS_DIR/build_assignments.py" "$BENCH"
  (cd "$BENCH/otter" && otter assign ps1.ipynb dist > "$BENCH/otter-assign.log" 2>&1)
  cat > "$BENCH/nbgrader/nbgrader_config.py" <<CFG
c = get_config()
c.CourseDirectory.course_id = "peers"
c.CourseDirectory.root = "$BENCH/nbgrader"
c.Execute.timeout = ${NBGRADER_CELL_TIMEOUT:-10}
CFG
  (cd "$BENCH/nbgrader" && nbgrader generate_assignment ps1 --force > "$BENCH/nbgrader-generate.log" 2>&1)
  python "$PEERS_DIR/make_submissions.py" "$BENCH"
  python "$PEERS_DIR/ground_truth.py" "$BENCH" > "$BENCH/ground_truth.txt"
  echo "== timing Otter and nbgrader (REPS=$REPS)"
  python "$PEERS_DIR/bench.py" "$BENCH" --reps "$REPS" --otter-timeout "${OTTER_TIMEOUT:-30}" > "$BENCH/peers-table.md"
  echo "== the peers' extra cheats and hidden-test leak checks (not timed)"
  python "$PEERS_DIR/extras.py" "$BENCH" > "$BENCH/peers-extras.txt" 2>&1 || true
)
echo "== grading the same notebooks with grader"
"$GRADER_PYTHON" "$HERE/peers/compare.py" "$BENCH" --reps "$REPS"
