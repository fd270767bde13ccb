# ratecalc HTTP API: slim Python base, non-root user, tariffs baked in (they ship inside the wheel),
# health check on /readyz. Build and run:  docker build -t ratecalc . && docker run -p 8000:8000 ratecalc
#
# Dependencies come from the lock, requirements/api.txt: every package pinned with its hashes, so an image
# built today and one built next month hold the same code. Refresh the lock (README, "Set-up") with
#    python3 -m uv pip compile pyproject.toml --extra api --universal --python-version 3.11 --generate-hashes -o requirements/api.txt
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY ratecalc ./ratecalc
COPY api ./api
COPY tariffs ./tariffs
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements/api.txt /tmp/api.txt
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --require-hashes -r /tmp/api.txt \
    && pip install --no-cache-dir --no-deps /wheels/ratecalc-*.whl \
    && pip check \
    && rm -rf /wheels /tmp/api.txt \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin ratecalc
USER ratecalc
WORKDIR /tmp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"]
CMD ["ratecalc", "serve", "--host", "0.0.0.0", "--port", "8000"]
