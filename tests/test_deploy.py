"""What can be checked here of the files that deploy the bot (issue 15, items 8-10, 12; issue 14's
platform install and compose profile).

Images cannot be built on these machines and systemd does not run in them, so: the lock files and
the install script are checked as pip will read them (and CI runs the script in a fresh venv:
``make check-install``, runtime and platform); compose.yaml and compose.platform.yaml are parsed;
the Caddyfiles go through ``caddy adapt`` where Caddy is installed (Debian's ``caddy`` package)
and a structural check everywhere; the systemd unit through ``systemd-analyze verify`` where it
exists, and its settings are read.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from tests.test_docs import platform_settings_read

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = Settings(telegram_token=None)  # type: ignore[arg-type]
DEV_ONLY = {"ruff", "mypy", "pytest", "pytest-asyncio", "hypothesis", "python-multipart"}


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {m[0].lower(): m[1] for m in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)}


def requirement_name(spec: str) -> str:
    return re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0].lower()


def test_lock_files_pin_everything_with_hashes() -> None:
    for lock in ("runtime.txt", "platform.txt", "dev.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n#\n", 1)[1])
        for entry in entries:
            if entry.startswith("#") or not entry.strip():
                continue
            assert "==" in entry and "--hash=sha256:" in entry, (lock, entry[:80])
        assert "file://" not in text and "/work/" not in text  # nothing of this machine


def test_runtime_lock_holds_the_runtime_dependencies_and_no_development_tools() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = pins("runtime.txt"), pins("dev.txt")
    for spec in project["dependencies"]:
        assert requirement_name(spec) in runtime, spec
    assert not DEV_ONLY & runtime.keys()
    for spec in project["optional-dependencies"]["dev"]:
        assert requirement_name(spec) in dev, spec
    # One version of each package in all: platform is compiled against runtime, dev against
    # platform.
    platform = pins("platform.txt")
    assert {name: platform[name] for name in runtime} == runtime
    assert {name: dev[name] for name in platform} == platform
    for spec in project["optional-dependencies"]["platform"]:
        assert requirement_name(spec) in platform and requirement_name(spec) not in runtime, spec
    assert "psycopg-binary" in platform  # psycopg[binary]: libpq comes with it
    assert not DEV_ONLY & platform.keys()
    assert "python-multipart" in {
        requirement_name(s) for s in project["optional-dependencies"]["devtools"]
    }


def test_install_script_installs_from_the_lock_with_hashes() -> None:
    script = ROOT / "deploy" / "install.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert "--require-hashes" in text and "requirements/$kind.txt" in text
    assert "deploy/install.sh VENV platform" in text
    assert "--extra platform -c requirements/runtime.txt" in (ROOT / "Makefile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "deploy/install.sh $(VENV) dev" in makefile
    assert "deploy/install.sh $(RUN_VENV) runtime" in makefile
    run = r"^run: \$\(RUN_STAMP\)\n\t\$\(RUN_VENV\)/bin/python -m bot run"
    assert re.search(run, makefile, re.M)
    assert "make check-install" in (ROOT / ".ci" / "run").read_text()


def test_dockerfile() -> None:
    text = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM python:(\d+\.\d+)-slim", text, re.M)
    assert base, "a slim Python base image"
    lock = (ROOT / "requirements" / "runtime.txt").read_text()
    lock_python = re.search(r"with Python (\d+\.\d+)", lock)
    assert lock_python and base[1] == lock_python[1]  # the lock was compiled for that Python
    assert re.search(r'^RUN deploy/install.sh \S+ "\$INSTALL_KIND"', text, re.M)
    assert re.search(r"^ARG INSTALL_KIND=runtime$", text, re.M)  # platform: a build argument
    assert (ROOT / "requirements" / "platform.txt").is_file()  # what INSTALL_KIND=platform reads
    user = re.search(r"^USER (\S+)", text, re.M)
    assert user and user[1] not in {"root", "0"}
    assert re.search(r'^VOLUME \["/data"\]', text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.M)
    copied = re.findall(r"^COPY (\S+)", text, re.M)
    for path in copied:
        assert (ROOT / path.rstrip("/")).exists(), path
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored  # secrets and venvs stay out of the image


def test_compose_file_has_the_two_profiles() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot, caddy = compose["services"]["bot"], compose["services"]["caddy"]
    assert "profiles" not in bot  # starts in both ways
    assert caddy["profiles"] == ["domain"]
    assert any(v.endswith(":/data") for v in bot["volumes"])
    assert bot["environment"]["DATABASE_PATH"].startswith("/data/")
    assert bot["ulimits"]["nofile"]["soft"] >= 65536
    assert "ports" not in bot  # only Caddy is public
    assert set(caddy["ports"]) == {"80:80", "443:443"}
    caddyfile = next(v for v in caddy["volumes"] if "Caddyfile" in v).split(":")[0]
    assert (ROOT / caddyfile).is_file()
    assert "${DOMAIN" in (ROOT / "compose.yaml").read_text()
    port = bot["environment"]["LISTEN_PORT"]
    assert f"bot:{port}" in (ROOT / "deploy" / "Caddyfile").read_text()


def test_caddyfile_routes_the_bot_paths() -> None:
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    route = re.search(r"@bot path (.+)", text)
    assert route
    assert set(route[1].split()) == {DEFAULTS.notification_path, DEFAULTS.telegram_webhook_path}
    assert "reverse_proxy bot:8080" in text and "{$DOMAIN}" in text
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    for path in (DEFAULTS.notification_path, DEFAULTS.telegram_webhook_path):
        assert f"location = {path} {{ proxy_pass http://127.0.0.1:8080; }}" in nginx
    caddy = shutil.which("caddy")
    if caddy is None:
        return  # the structural checks above are what can be done without Caddy
    done = subprocess.run(
        [caddy, "adapt", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
        env={**os.environ, "DOMAIN": "warung.example.com"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "warung.example.com" in done.stdout and "/midtrans/notification" in done.stdout


def test_systemd_unit() -> None:
    path = ROOT / "deploy" / "warung-bot.service"
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(path)
    assert unit["Unit"]["Wants"] == "network-online.target"
    assert "network-online.target" in unit["Unit"]["After"]
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert float(service["RestartSec"]) > 0
    assert int(service["LimitNOFILE"]) >= 65536
    assert service["User"] not in {"root", "0"}
    assert service["ExecStart"].endswith(".venv-run/bin/python -m bot run")
    assert service["ReadWritePaths"].endswith("/data")
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    done = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True)
    problems = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and "is not executable" not in line and "No such file" not in line
    ]
    assert problems == []


@pytest.mark.parametrize("name", ["REQUEST_TIMEOUT", "LISTEN_MAX_CONNECTIONS", "BACKUP_KEEP"])
def test_new_settings_are_documented(name: str) -> None:
    assert f"\n{name}=" in (ROOT / ".env.example").read_text()
    assert f"`{name}`" in (ROOT / "README.md").read_text()


def _role_is_accepted(role: str) -> bool:
    """``python -m bot platform --role ROLE`` gets past argparse (``--help`` stops it there)."""
    from bot.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["platform", "--role", role, "--help"])
    return stopped.value.code == 0


PLATFORM_COMPOSE = ROOT / "deploy" / "compose.platform.yaml"
PLATFORM_CADDYFILE = ROOT / "deploy" / "Caddyfile.platform"


def test_platform_compose_runs_postgres_edges_workers_and_caddy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = PLATFORM_COMPOSE.read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    assert set(services) == {"postgres", "edge", "worker", "caddy"}
    postgres = services["postgres"]
    assert postgres["image"] == "postgres:15"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])

    settings = set(platform_settings_read())
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", text))
    for role in ("edge", "worker"):
        service = services[role]
        command = service["command"]
        assert command[:3] == ["/opt/warung-bot/venv/bin/python", "-m", "bot"]
        assert command[3:5] == ["platform", "--role"] and command[5] == role
        assert _role_is_accepted(role)
        assert service["build"]["args"]["INSTALL_KIND"] == "platform"
        assert service["build"]["context"] == ".."  # the checkout, where the Dockerfile is
        assert service["env_file"] == "platform.env"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert int(service["deploy"]["replicas"].split(":-")[1].rstrip("}")) >= 1
        # Every variable passed is a setting the platform reads; no secret is written here.
        environment = service["environment"]
        assert [name for name in environment if name not in settings] == []
        assert environment["DATABASE_URL"].startswith("postgresql://warung:${POSTGRES_PASSWORD")
        assert environment["PUBLIC_BASE_URL"].startswith("https://${DOMAIN:?")
        assert "ports" not in service  # only Caddy is public
    assert not _role_is_accepted("edges")  # the check above can fail
    capsys.readouterr()
    edge = services["edge"]
    assert "/healthz" in " ".join(edge["healthcheck"]["test"])
    assert f"127.0.0.1:{edge['environment']['LISTEN_PORT']}/healthz" in str(edge["healthcheck"])
    assert services["worker"]["healthcheck"] == {"disable": True}  # no port to ask
    for secret in ("PLATFORM_MASTER_KEYS", "PLATFORM_LOOKUP_KEY", "PLATFORM_BOT_TOKEN"):
        assert secret not in edge["environment"] and secret in settings

    caddy = services["caddy"]
    assert set(caddy["ports"]) == {"80:80", "443:443"}
    assert "./Caddyfile.platform:/etc/caddy/Caddyfile:ro" in caddy["volumes"]

    # The env file's example names settings, or variables this file interpolates.
    example = (ROOT / "deploy" / "platform.env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, re.M))
    assert [name for name in named if name not in settings | interpolated] == []
    assert {"DOMAIN", "POSTGRES_PASSWORD", "PLATFORM_MASTER_KEYS", "PLATFORM_BOT_TOKEN"} <= named
    for ignore in (".gitignore", ".dockerignore"):
        assert "deploy/platform.env" in (ROOT / ignore).read_text().split()


def test_platform_caddyfile_routes_the_edge_paths_to_every_edge() -> None:
    text = PLATFORM_CADDYFILE.read_text()
    route = re.search(r"@edge path (.+)", text)
    assert route and set(route[1].split()) == {"/tg/*", "/midtrans/*", "/healthz"}
    port = yaml.safe_load(PLATFORM_COMPOSE.read_text())["services"]["edge"]["environment"][
        "LISTEN_PORT"
    ]
    assert re.search(rf"dynamic a {{\s*name edge\s*port {port}\b", text)
    assert "{$DOMAIN}" in text
    caddy = shutil.which("caddy")
    if caddy is None:
        return  # the structural checks above are what can be done without Caddy
    done = subprocess.run(
        [caddy, "adapt", "--config", str(PLATFORM_CADDYFILE), "--adapter", "caddyfile"],
        env={**os.environ, "DOMAIN": "platform.example.com"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    server = json.loads(done.stdout)["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]  # HTTPS, certificate by Caddy
    (site,) = server["routes"]
    assert site["match"] == [{"host": ["platform.example.com"]}]
    routes = site["handle"][0]["routes"]
    proxied = next(r for r in routes if r.get("match"))
    assert proxied["match"] == [{"path": ["/tg/*", "/midtrans/*", "/healthz"]}]
    adapted = json.dumps(proxied)
    assert '"dynamic_upstreams": {"name": "edge", "port": "8080"' in adapted
    rest = next(r for r in routes if not r.get("match"))
    assert '"status_code": 404' in json.dumps(rest)
