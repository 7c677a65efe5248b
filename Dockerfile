# The Contact Center application image: one process serving HTTP and websockets on port 8080.
# Build: docker build -t contact-center .     Run: see docker-compose.yml (two instances behind nginx).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY contact_center ./contact_center
COPY connectors ./connectors
COPY routing ./routing
COPY agent_ui ./agent_ui
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /var/lib/contact-center contact-center
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER contact-center
WORKDIR /var/lib/contact-center
ENV PYTHONUNBUFFERED=1 \
    CC_HOST=0.0.0.0 \
    CC_PORT=8080 \
    CC_DATA_DIR=/var/lib/contact-center
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3).status != 200)"]
# `serve` applies migrations on start (instances starting together take turns: advisory lock).
CMD ["contact-center", "serve"]
