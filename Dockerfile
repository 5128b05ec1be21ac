# One image for every process of the stack; the command picks the role:
#   loyalty worker | loyalty api | python -m loyalty.partners.simulator
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
COPY policies ./policies
RUN uv sync --frozen --no-dev
RUN useradd --create-home loyalty && mkdir -p /app/data && chown loyalty /app/data
USER loyalty
# Fail closed: containers run as production, so they start only with real secrets
# (see .env.example and README, Security).
ENV LOYALTY_DATA_DIR=/app/data LOYALTY_POLICIES_DIR=/app/policies LOYALTY_ENVIRONMENT=production
CMD ["loyalty", "--help"]
