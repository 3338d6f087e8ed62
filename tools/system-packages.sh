#!/usr/bin/env bash
# The Debian packages the test suite needs beside Python: bubblewrap (the strongest jail, so that
# every isolation level is tested) and chromium (the reports and the review page in a browser).
# Installs the missing ones with apt-get, as root or through sudo, and says so; elsewhere it says
# what to install. The README's test command runs it first; so does .ci/run, through that command.
set -euo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: bubblewrap and chromium are installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system packages: install ${missing[*]} with your system's package manager, then run this again" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "system packages: as root, run: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  as_root=(sudo)
fi
echo "system packages: installing ${missing[*]}: ${as_root[*]:+${as_root[*]} }apt-get install -y ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
