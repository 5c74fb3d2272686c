"""Prometheus metrics at ``/metrics``, correct under several gunicorn workers.

``outpost serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before gunicorn
starts: every worker then writes its samples to files there and a scrape, answered by any
worker, adds them all up (prometheus-client's multiprocess mode). Without it (tests, the
development server) the process's own registry is used.

Per request: counts by route (the URL rule, never the raw path, so the label set stays
bounded), method and status, and latency by route and method. Per storage call (one wrapper in
:mod:`server.storage.factory`): latency and errors by provider and operation. Per worker, summed:
database pool connections and background alerts waiting (sampled at most once a second, and
by the worker answering a scrape). Read from the database at scrape
time: license state, days left, licensed and used seats.

``/metrics`` is declared public in the permission table (it needs no user) and guarded by its
own bearer token, ``OUTPOST_METRICS_TOKEN``; while that is empty the endpoint is off (404).

This module is also gunicorn's config module (``--config python:server.metrics``) for its
``child_exit`` hook: only names of gunicorn settings are read from it, so module-level names
here are private or upper-case.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from .auth import public
from .errors import NotFound, Unauthenticated

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "outpost_http_requests_total", "HTTP requests answered.", ["route", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "outpost_http_request_duration_seconds", "Time to answer a request.", ["route", "method"]
)
STORAGE_LATENCY = Histogram(
    "outpost_storage_call_duration_seconds",
    "Time of one storage provider call.",
    ["provider", "operation"],
)
STORAGE_ERRORS = Counter(
    "outpost_storage_call_errors_total",
    "Storage provider calls that raised.",
    ["provider", "operation"],
)
DB_POOL = Gauge(
    "outpost_db_pool_connections",
    "Database connections of the pools of all workers, by state.",
    ["state"],
    multiprocess_mode="livesum",
)
ALERT_QUEUE = Gauge(
    "outpost_alert_queue_depth",
    "Run alerts waiting or being sent, all workers.",
    multiprocess_mode="livesum",
)

_bp = Blueprint("metrics", __name__)
_UNMATCHED = "<unmatched>"
# The worker's pool and alert queue are sampled at most this often (seconds), not per request.
_STATE_INTERVAL = 1.0
_state_sampled = -_STATE_INTERVAL
# (rule, method, status) -> the request counter's and latency histogram's children; bounded by
# the routes times methods times the statuses they answer.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def child_exit(server, worker) -> None:  # gunicorn hook: a dead worker's live gauges go
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(worker.pid)


def _start_timer() -> None:
    g._metrics_started = time.perf_counter()


def _record(response: Response) -> Response:
    started = g.pop("_metrics_started", None)
    if started is None:
        return response
    rule = request.url_rule.rule if request.url_rule is not None else _UNMATCHED
    series = (rule, request.method, response.status_code)
    children = _children.get(series)
    if children is None:  # label lookups are not free: each series is looked up once
        children = _children[series] = (
            HTTP_REQUESTS.labels(rule, request.method, str(response.status_code)),
            HTTP_LATENCY.labels(rule, request.method),
        )
    children[0].inc()
    now = time.perf_counter()
    children[1].observe(now - started)
    global _state_sampled
    if now - _state_sampled >= _STATE_INTERVAL:
        _state_sampled = now
        _sample_worker_state()
    return response


def _sample_worker_state() -> None:
    """This worker's pool and alert queue, summed over the live workers at scrape time."""
    from .extensions import db
    from .services import alert_sender

    pool = db.engine.pool
    if hasattr(pool, "checkedout") and hasattr(pool, "checkedin"):
        checked_out = pool.checkedout()
        DB_POOL.labels("checked_out").set(checked_out)
        DB_POOL.labels("idle").set(max(pool.checkedin(), 0))
    ALERT_QUEUE.set(alert_sender.sender.pending())


def observe_storage(provider: str, operation: str, started: float, failed: bool) -> None:
    STORAGE_LATENCY.labels(provider, operation).observe(time.perf_counter() - started)
    if failed:
        STORAGE_ERRORS.labels(provider, operation).inc()


class _InstanceCollector:
    """License and seats, read from the database when scraped (the same for every worker)."""

    def collect(self) -> Iterable[Metric]:
        from .services import licensing, seats

        status = licensing.current_status()
        state = GaugeMetricFamily(
            "outpost_license_state", "1 for the license's current state.", labels=["state"]
        )
        state.add_metric([str(getattr(status.state, "value", status.state))], 1)
        yield state
        if status.days_left is not None:
            yield GaugeMetricFamily(
                "outpost_license_days_left",
                "Whole days until the license expires.",
                value=status.days_left,
            )
        limit = licensing.seat_limit()
        if limit is not None:
            yield GaugeMetricFamily("outpost_seats_licensed", "Licensed full seats.", value=limit)
        yield GaugeMetricFamily(
            "outpost_seats_used", "Full seats in use.", value=seats.active_full_seats()
        )


class _ProcessCollector:
    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(_InstanceCollector())
    return registry


def _refused(error: Exception, status: int) -> Response:
    # Prometheus asks for text, not HTML: always the JSON error, never the console's login page.
    response = jsonify(error.to_dict())
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="outpost-metrics"'
    return response


@_bp.get("/metrics")
@public
def metrics() -> Response:
    """Prometheus text format; needs ``Authorization: Bearer <OUTPOST_METRICS_TOKEN>``."""
    token = current_app.config["OUTPOST"].metrics_token
    if not token:
        return _refused(NotFound("Metrics are off: set OUTPOST_METRICS_TOKEN."), 404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return _refused(Unauthenticated("A valid metrics bearer token is required."), 401)
    _sample_worker_state()  # this worker's own state as of now
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_record)
    app.register_blueprint(_bp)
