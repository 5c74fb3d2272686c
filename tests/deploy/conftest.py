"""The chart is loaded and every value set rendered once per test session; the Helm tests share
that output (rendering is the slow part)."""

from __future__ import annotations

import helm_python as helm
import pytest

from tests.deploy.chart import VALUE_SETS, load_chart, render


@pytest.fixture(scope="session")
def chart():
    helm.disable_logging()
    with load_chart() as loaded:
        yield loaded


@pytest.fixture(scope="session")
def rendered(chart):
    return {name: render(values, chart=chart) for name, values in VALUE_SETS.items()}
