# Warung bot as a container: runtime-only install from the lock file, non-root, database in /data.
# Build: docker build -t warung-bot .   Run: see compose.yaml and README.md ("Docker").
# Platform mode (many shops; deploy/compose.platform.yaml builds it so):
#   docker build --build-arg INSTALL_KIND=platform -t warung-bot-platform .
# The Python minor version matches the lock files (requirements/*.txt were compiled for 3.11).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/data/warung.db \
    LISTEN_HOST=0.0.0.0 \
    LISTEN_PORT=8080

# runtime (the single-shop bot) or platform (plus psycopg and cryptography): deploy/install.sh.
ARG INSTALL_KIND=runtime

WORKDIR /opt/warung-bot
COPY pyproject.toml README.md LICENSE ./
COPY requirements/ requirements/
COPY deploy/install.sh deploy/install.sh
COPY bot/ bot/
COPY storage/ storage/
# The one install script, the same that CI runs in a fresh venv (make check-install).
RUN deploy/install.sh /opt/warung-bot/venv "$INSTALL_KIND" \
    && rm -rf build *.egg-info \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin warung \
    && mkdir -p /data && chown warung:warung /data

USER warung
VOLUME ["/data"]
EXPOSE 8080
# 200 only when the database takes writes, the outbox moves and Telegram answers (README).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/opt/warung-bot/venv/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('LISTEN_PORT', '8080'), timeout=8)"]
CMD ["/opt/warung-bot/venv/bin/python", "-m", "bot", "run"]
