# The eventfold image that compose.yaml runs as the API and as the projector.
FROM python:3.13-slim

RUN pip install --no-cache-dir uv
WORKDIR /app
# Dependencies first, so that changing the code does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY . .
# Installing the project runs hatch_build.py, which builds GraphiQL's and the dashboard's assets.
RUN uv sync --locked --no-dev
ENV PATH="/app/.venv/bin:$PATH"

EXPOSE 8000
CMD ["eventfold", "serve", "--host", "0.0.0.0", "--port", "8000"]
