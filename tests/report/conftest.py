"""Fixtures for the report tests."""

from __future__ import annotations

import pytest
from report_samples import hostile_alert, make_alerts, make_context, with_counts


@pytest.fixture
def alerts() -> list[dict]:
    return make_alerts(40) + [hostile_alert()]


@pytest.fixture
def context(alerts) -> dict:
    return with_counts(make_context(), alerts)
