"""The REST API against its own OpenAPI spec, with schemathesis.

Schemathesis reads /openapi.json from the app, generates requests from it (valid ones, and
invalid ones) and checks every answer: no server error, a documented status code, content
type and headers, a body that matches the documented schema, valid input accepted, and no
operation that answers without the session cookie. Every GET operation is covered (a test
fails when a new one is not added here) plus the triage change; signing out, starting an
analysis and creating users are left to test_api.py, as random calls to them would end the
session or start minutes of work.

Kept bounded and repeatable: `EXAMPLES` per operation and mode, derandomized, on a copy of the
demo workspace so the triage decisions it makes stay out of the other tests. Path ids are
drawn half from the generated ones and half from real alerts and actors, so the record pages
are reached and not only their 404s.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import CHECKS as REGISTRY  # noqa: E402
from schemathesis.checks import load_all_checks  # noqa: E402

from filon.api.app import create_app  # noqa: E402
from filon.api.auth import COOKIE, create_user  # noqa: E402
from filon.api.db.session import Database, default_url  # noqa: E402

EXAMPLES = 15
PASSWORD = "fuzzing-password-1"
GETS = ("/api/session", "/api/overview", "/api/alerts", "/api/alerts/export", "/api/alerts/{alert_id}",
        "/api/map/{layer}", "/api/map/alerts/{alert_id}/bounds", "/api/entities", "/api/entities/{actor_id}",
        "/api/entities/{actor_id}/network.svg", "/api/batches", "/api/analysis", "/api/users", "/api/audit",
        "/dossier/{alert_id}")
OPERATIONS = [f"GET {p}" for p in GETS] + ["PUT /api/alerts/{alert_id}/triage"]
#: As the PE analyst too where the country scope decides between a record and a refusal.
SCOPED = ("GET /api/alerts", "GET /api/alerts/{alert_id}", "GET /api/entities/{actor_id}", "GET /api/map/{layer}",
          "GET /api/map/alerts/{alert_id}/bounds", "PUT /api/alerts/{alert_id}/triage", "GET /dossier/{alert_id}")
CASES = [(op, "fuzz_admin") for op in OPERATIONS] + [(op, "fuzz_pe") for op in SCOPED]
#: Every check but negative_data_rejection: a query string carries only text, so "invalid"
#: values schemathesis generates for a free-text list (e.g. numbers) reach the API as valid text.
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
          "response_headers_conformance", "positive_data_acceptance", "ignored_auth")


@pytest.fixture(scope="module")
def fuzz_app(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory):
    ws = tmp_path_factory.mktemp("fuzz") / "workspace"
    shutil.copytree(demo_workspace, ws, ignore=shutil.ignore_patterns("filon-app.sqlite*", ".filon-secret"))
    db = Database(default_url(ws))
    create_user(db, "fuzz_admin", PASSWORD, "admin", "*")
    create_user(db, "fuzz_pe", PASSWORD, "analyst", "PE")
    db.close()
    return create_app(ws)


@pytest.fixture(scope="module")
def api(fuzz_app):
    """The schema as schemathesis loads it, real ids to aim at, and a signed-in session per user."""
    config = schemathesis.Config.from_dict({"generation": {"deterministic": True}})
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app, config=config)
    sessions = {}
    for name in ("fuzz_admin", "fuzz_pe"):
        client = TestClient(fuzz_app)
        r = client.post("/api/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        sessions[name] = ({COOKIE: client.cookies[COOKIE]}, {"X-CSRF-Token": r.json()["csrf_token"]})
    cookies, _ = sessions["fuzz_admin"]
    alerts = TestClient(fuzz_app, cookies=cookies).get("/api/alerts", params={"limit": 500}).json()["items"]
    ids = {"alert_id": sorted(a["alert_id"] for a in alerts),
           "actor_id": sorted({x for a in alerts for x in a["actors"]})}
    assert ids["alert_id"] and ids["actor_id"]
    return schema, sessions, ids


def test_every_get_operation_is_fuzzed(api) -> None:
    schema, _, _ = api
    found = {f"{op.ok().method.upper()} {op.ok().path}" for op in schema.get_all_operations()}
    missing = {o for o in found if o.startswith("GET ")} - set(OPERATIONS)
    assert not missing, f"add these GET operations to OPERATIONS in this file: {sorted(missing)}"
    assert set(OPERATIONS) <= found, f"no longer in the spec: {sorted(set(OPERATIONS) - found)}"


def test_every_operation_but_login_needs_the_session(fuzz_app) -> None:
    """The spec declares the cookie wherever `current_user` guards a route (ignored_auth then
    checks each such route refuses a request without it); a route without it is open to anyone."""
    spec = fuzz_app.openapi()
    open_ = [f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method, op in ops.items()
             if op.get("security") != [{"session": []}]]
    assert open_ == ["POST /api/login"], f"operations anyone can call without signing in: {open_}"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize(("label", "user"), CASES)
def test_operation_matches_its_spec(api, label: str, user: str, mode: GenerationMode) -> None:
    schema, sessions, ids = api
    operation = schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the spec"
    strategy = operation.as_strategy(mode)
    for name, values in ids.items():
        if "{" + name + "}" in operation.path:
            real = st.sampled_from(values).flatmap(
                lambda v, name=name: operation.as_strategy(mode, path_parameters={name: v}))
            strategy = st.one_of(strategy, real)
    cookies, headers = sessions[user]
    load_all_checks()
    checks = REGISTRY.get_by_names(CHECKS)

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case) -> None:  # noqa: ANN001
        case.call_and_validate(headers=headers, cookies=cookies, checks=checks)

    try:
        run()
    except Unsatisfiable:
        pytest.skip("no invalid request can be built for this operation (it takes no parameters)")
