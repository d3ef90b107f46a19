# Sotong's image: the web app, the worker and the stream, one image (the command chooses). See docs/operations.md
# "Containers"; compose.yaml runs it with PostgreSQL.
FROM python:3.11-slim-bookworm

# pg_dump/pg_restore for `sotong backup` and `sotong restore`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /srv/sotong sotong
WORKDIR /srv/sotong

# The pinned, hash-checked dependencies first (a layer that changes only with requirements.lock).
COPY requirements.lock /tmp/requirements.lock
RUN python -m pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock
COPY pyproject.toml README.md /src/
COPY src /src/src
RUN python -m pip install --no-cache-dir --no-deps /src

USER sotong
ENV SOTONG_MEDIA_DIR=/srv/sotong/media \
    SOTONG_HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1
VOLUME ["/srv/sotong/media"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["sotong", "serve", "--workers", "2", "--no-worker"]
