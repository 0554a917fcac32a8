"""Routes for operators: liveness, readiness and the Prometheus metrics."""

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from access.authentication import Authenticator
from access.rules import reads_metrics
from app.metrics import Metrics
from schema.access import refusal
from store.connect import Stores

logger = logging.getLogger("eventfold")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    stores: Stores = request.app.state.stores
    try:
        await stores.events.ping()
    except Exception as error:  # noqa: BLE001 - any failure to answer means not ready
        logger.warning("readiness check failed: %s", error)
        return JSONResponse({"status": "unavailable", "backend": stores.backend}, status_code=503)
    return JSONResponse({"status": "ok", "backend": stores.backend})


async def scrape(request: Request) -> Response:
    """Any role but the customer role may read the metrics; where the API needs a token, so do they."""
    authenticator: Authenticator = request.app.state.authenticator
    caller = await authenticator.caller(request.headers.get("authorization"))
    if (refused := refusal(caller)) is not None:
        if (refused.extensions or {}).get("code") == "SERVICE_UNAVAILABLE":
            return JSONResponse({"error": refused.message}, status_code=503)
        return JSONResponse(
            {"error": refused.message}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    if not reads_metrics(caller):
        return JSONResponse({"error": "the customer role may not read the metrics"}, status_code=403)
    metrics: Metrics = request.app.state.metrics
    return await metrics.exposition(request)
