#!/usr/bin/env bash
# Gradescope runs this once, as root and with network, when it builds the autograder's image.
# Written by `grader gradescope` (bundle.json says from what). Everything it installs comes from
# this bundle: the grader's own wheel and its dependencies, pinned by hash in requirements.lock,
# and the students' environment from student-wheels/. GRADER_AUTOGRADER_ROOT stands in for
# /autograder (tests set it to a temporary folder).
set -euo pipefail
ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
HOME_DIR="$ROOT/grader"
# shellcheck source=/dev/null
. "$SOURCE/bundle.env"  # PYTHON_VERSION
mkdir -p "$HOME_DIR"

need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]} with apt-get"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1 \
    || echo "setup: warning: could not install ${need[*]}; student code gets the best jail this image allows"
fi

# uv (from its wheel in the bundle) makes the grader's virtual environment on Python
# $PYTHON_VERSION, downloading that interpreter when the image has none, and installs exactly the
# locked wheels, offline.
rm -rf "$HOME_DIR/uv-wheel"
python3 -m zipfile -e "$(ls "$SOURCE"/wheels/uv-*.whl | head -n 1)" "$HOME_DIR/uv-wheel"
UV="$(ls "$HOME_DIR"/uv-wheel/uv-*.data/scripts/uv | head -n 1)"
chmod 755 "$UV"
own_cache=""
if [ -z "${UV_CACHE_DIR:-}" ]; then own_cache="$HOME_DIR/uv-cache"; fi  # else the administrator's
export UV_PYTHON_INSTALL_DIR="$HOME_DIR/python" UV_CACHE_DIR="${UV_CACHE_DIR:-$own_cache}" UV_NO_PROGRESS=1
"$UV" venv --quiet --allow-existing --python "$PYTHON_VERSION" "$HOME_DIR/venv"
"$UV" pip install --quiet --python "$HOME_DIR/venv/bin/python" --offline --no-index \
  --find-links "$SOURCE/wheels" --require-hashes -r "$SOURCE/requirements.lock"

# The students' environment, the dataset, locked-down permissions, and the reference graded once
# (full marks, or the image build fails): see grader/gradescope/image.py.
# (Its bytecode is written as it goes, so each upload's fresh interpreter starts from the image's.)
export GRADER_CACHE_DIR="$HOME_DIR/cache"
unset PYTHONDONTWRITEBYTECODE
"$HOME_DIR/venv/bin/python" -m grader.gradescope setup
rm -rf "$HOME_DIR/uv-wheel" ${own_cache:+"$own_cache"}
