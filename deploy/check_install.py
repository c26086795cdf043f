"""CI check of the runtime install: deploy/install.sh into a fresh venv, as the Dockerfile and the
systemd unit use it, then prove the bot is there and the development tools are not.

Run by .ci/run after `make test` (`make check-install`); needs PyPI, takes about 20 s.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_ONLY = ("ruff", "mypy", "pytest", "hypothesis", "python-multipart", "pip-tools", "zxing-cpp")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="warung-install-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([str(ROOT / "deploy" / "install.sh"), str(venv)], check=True)
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
            print(f"check-install: the runtime venv holds development tools: {extra}")
            return 1
        # The installed copy, not the checkout: run from the venv's own directory.
        subprocess.run(
            [python, "-c", "import bot.app, bot.backup, storage; print('runtime install ok')"],
            check=True,
            cwd=tmp,
        )
        subprocess.run([python, "-m", "bot", "--help"], check=True, cwd=tmp, capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
