# One image for web, worker and beat. Node 20 builds the recorder and player
# bundles; a slim Python 3.11 image runs them, as an unprivileged user, without Node.

FROM node:20.18.1-bookworm-slim AS bundles
WORKDIR /src
COPY static/recorder-js/package.json static/recorder-js/package-lock.json static/recorder-js/
COPY static/player-js/package.json static/player-js/package-lock.json static/player-js/
RUN cd static/recorder-js && npm ci --no-audit --no-fund \
    && cd ../player-js && npm ci --no-audit --no-fund
COPY static/recorder-js/ static/recorder-js/
COPY static/player-js/ static/player-js/
RUN cd static/recorder-js && npm run build && cd ../player-js && npm run build

FROM python:3.11.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics \
    LOG_FORMAT=json
RUN groupadd --system --gid 10001 hindsight \
    && useradd --system --uid 10001 --gid hindsight --home-dir /app --shell /usr/sbin/nologin hindsight \
    && mkdir -p /data && chown hindsight:hindsight /data
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
COPY --from=bundles /src/static/build/ static/build/
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && rm -rf /data/* "$PROMETHEUS_MULTIPROC_DIR"
USER hindsight
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "-c", "python:ops.gunicorn_config", "config.wsgi"]
