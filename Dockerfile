# One image for every process of the stack; the compose file picks the role:
#   loyalty worker | loyalty api | python -m loyalty.partners.simulator | the init job
# Two stages: uv resolves the locked environment in the first; the second holds
# only the virtual environment and the sources, and runs as an unprivileged user.
FROM python:3.11.11-slim-bookworm AS build
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# Dependencies first (their layer survives source edits), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    LOYALTY_DATA_DIR=/app/data LOYALTY_POLICIES_DIR=/app/policies
RUN groupadd --system --gid 10001 loyalty \
    && useradd --system --uid 10001 --gid loyalty --home-dir /app --shell /usr/sbin/nologin loyalty
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY policies ./policies
RUN mkdir -p /app/data && chown loyalty:loyalty /app/data
USER 10001:10001
# Fail closed: containers run as production, so they start only with real secrets
# (see .env.example and README, Security).
ENV LOYALTY_ENVIRONMENT=production
CMD ["loyalty", "--help"]
