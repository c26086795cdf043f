#!/bin/sh
# Install Warung bot into a virtual environment from the lock files, hashes checked.
#
#   deploy/install.sh VENV            runtime only (what `make install`, the systemd unit and the
#                                     Dockerfile use): no linters, no test tools, no devtools
#   deploy/install.sh VENV platform   runtime plus the platform extra (psycopg, cryptography):
#                                     `python -m bot platform`, the Dockerfile's INSTALL_KIND=platform
#   deploy/install.sh VENV dev        everything `make test` needs, the project editable
#
# The one install script: the Dockerfile runs it, CI runs it in a fresh venv (make check-install).
# Only PyPI is needed. A lock file is refreshed with `make lock`.
set -eu

venv=${1:?usage: deploy/install.sh VENV [runtime|platform|dev]}
kind=${2:-runtime}
root=$(cd "$(dirname "$0")/.." && pwd)
lock="$root/requirements/$kind.txt"
[ -f "$lock" ] || { echo "install.sh: no lock file $lock (kind is runtime, platform or dev)" >&2; exit 2; }

if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
pip="$venv/bin/python -m pip"
# Every package, pip included, comes pinned with its hashes: a release on PyPI changes nothing here.
$pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$lock"
if [ "$kind" = dev ]; then
    $pip install --quiet --disable-pip-version-check --no-deps -e "$root"
else
    $pip install --quiet --disable-pip-version-check --no-deps "$root"
fi
