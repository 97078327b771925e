# Multi-stage: build the virtualenv and the database, then copy both into a slim runtime.
FROM python:3.11-slim AS build
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY service service
COPY scoring scoring
COPY datasets datasets
RUN pip install .
# The bundled data is built into the image: the container serves without any download.
RUN exposure --db /app/var/exposure.duckdb init && exposure --db /app/var/exposure.duckdb score

FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 exposure
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=exposure:exposure /app/var /app/var
# The demo image lets anonymous callers read; set EXPOSURE_ANONYMOUS_SCOPES= (empty) to require keys.
ENV PATH=/opt/venv/bin:$PATH EXPOSURE_DB=/app/var/exposure.duckdb EXPOSURE_ANONYMOUS_SCOPES=read
WORKDIR /app
USER exposure
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["exposure", "serve", "--host", "0.0.0.0", "--port", "8000"]
