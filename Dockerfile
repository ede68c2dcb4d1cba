# clinrag API image: CPU-only torch, the project, a non-root user; `clinrag serve` on 0.0.0.0:8080.
# Build: docker build -t clinrag .
# Run (embedded mode, everything in /data): docker run -p 8080:8080 -v clinrag-data:/data clinrag
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    GRPC_VERBOSITY=ERROR \
    CLINRAG_DATA_DIR=/data \
    CLINRAG_HOST=0.0.0.0 \
    CLINRAG_PORT=8080

WORKDIR /app

# CPU wheels from PyTorch's own index (PyPI's default torch wheel pulls in CUDA, ~2 GB more);
# its own layer so code changes do not re-download it
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md ./
COPY rag ./rag
COPY ingest ./ingest
COPY api ./api
COPY clinrag ./clinrag
# torch==2.13.0 is already satisfied by 2.13.0+cpu, so this does not fetch the CUDA build
RUN pip install . && python -c "import api.app, rag.settings, ingest.run"

# the starter guidelines, for `docker compose exec api clinrag ingest /app/guidelines`
COPY guidelines ./guidelines

RUN useradd --system --uid 10001 --create-home --home-dir /home/clinrag clinrag \
    && mkdir -p /data && chown clinrag:clinrag /data
USER clinrag
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"

CMD ["clinrag", "serve", "--host", "0.0.0.0", "--port", "8080"]
