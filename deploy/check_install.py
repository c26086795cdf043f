"""CI check of the installs the Dockerfile and the systemd unit use: deploy/install.sh into a
fresh venv, once for the single-shop runtime and once for platform mode, then prove the bot is
there (``python -m bot --help``; ``python -m bot platform --help`` and the platform's modules in
the platform venv) and the development tools are not.

Run by .ci/run after `make test` (`make check-install`); needs PyPI. Measured on a shared 2-core
machine, two runs: 24-32 s for the runtime venv, 28-44 s for the platform one (the runtime
packages again, from pip's cache, plus psycopg and cryptography).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_ONLY = ("ruff", "mypy", "pytest", "hypothesis", "python-multipart", "pip-tools", "zxing-cpp")
PLATFORM_ONLY = ("psycopg", "psycopg-binary", "cryptography")
# What each install must run; from the venv's own directory, so the installed copy is used.
CHECKS = {
    "runtime": [
        ["-c", "import bot.app, bot.backup, storage; print('runtime install ok')"],
        ["-m", "bot", "--help"],
    ],
    "platform": [
        ["-c", "import bot.platform.serve, psycopg, cryptography; print('platform install ok')"],
        ["-m", "bot", "platform", "--help"],
    ],
}


def check(kind: str, tmp: Path) -> str | None:
    """Install ``kind`` into a fresh venv under ``tmp`` and run its checks; the problem found."""
    venv = tmp / f"venv-{kind}"
    subprocess.run([str(ROOT / "deploy" / "install.sh"), str(venv), kind], check=True)
    python = str(venv / "bin" / "python")
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    names = {line.split("==")[0].lower() for line in listed.splitlines()}
    extra = sorted(name for name in DEV_ONLY if name in names)
    if extra:
        return f"the {kind} venv holds development tools: {extra}"
    platform = sorted(name for name in PLATFORM_ONLY if name in names)
    if kind == "runtime" and platform:
        return f"the runtime venv holds platform packages: {platform}"
    if kind == "platform" and len(platform) != len(PLATFORM_ONLY):
        return f"the platform venv lacks {sorted(set(PLATFORM_ONLY) - set(platform))}"
    for args in CHECKS[kind]:
        done = subprocess.run([python, *args], cwd=tmp, capture_output=True, text=True)
        if done.returncode != 0:
            return f"{kind}: python {' '.join(args[:3])} failed: {done.stderr.strip()[-300:]}"
        if args[0] == "-c":
            print(done.stdout.strip())
    return None


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="warung-install-") as tmp:
        for kind in CHECKS:
            started = time.monotonic()
            problem = check(kind, Path(tmp))
            if problem:
                print(f"check-install: {problem}")
                return 1
            print(f"check-install: {kind} install checked in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
