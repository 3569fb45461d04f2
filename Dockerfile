# One image for web, worker and beat.
FROM python:3.11-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm make && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY static/recorder-js/package.json static/recorder-js/package-lock.json static/recorder-js/
COPY static/player-js/package.json static/player-js/package-lock.json static/player-js/
RUN cd static/recorder-js && npm ci --no-audit --no-fund && cd ../player-js && npm ci --no-audit --no-fund
COPY . .
RUN cd static/recorder-js && npm run build && cd ../player-js && npm run build \
    && DEBUG=false SECRET_KEY=build-only python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
