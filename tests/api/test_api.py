"""The REST API: filters and paging, access control by role and country, CSRF, audit, triage."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from filon.detect.runner import run_analysis


def test_login_rejects_wrong_password(app) -> None:
    r = TestClient(app).post("/api/login", json={"username": "admin", "password": "nope"})
    assert r.status_code == 401


def test_unauthenticated_requests_are_refused(app) -> None:
    assert TestClient(app).get("/api/alerts").status_code == 401


def test_session_cookie_is_httponly_and_strict(app) -> None:
    r = TestClient(app).post("/api/login", json={"username": "admin", "password": "correct-horse-battery"})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_filters_and_paging(admin: TestClient) -> None:
    everything = admin.get("/api/alerts", params={"limit": 500}).json()
    assert everything["total"] > 5
    scores = [a["score"] for a in everything["items"]]
    assert scores == sorted(scores, reverse=True)
    first, second = (admin.get("/api/alerts", params={"limit": 3, "offset": o}).json() for o in (0, 3))
    assert first["next_offset"] == 3
    assert {a["alert_id"] for a in first["items"]}.isdisjoint(a["alert_id"] for a in second["items"])
    pe = admin.get("/api/alerts", params={"country": "pe", "limit": 500}).json()
    assert pe["total"] and all(a["country"] == "PE" for a in pe["items"])
    typ = everything["items"][0]["typology"]
    only = admin.get("/api/alerts", params={"typology": typ, "min_score": 0.5}).json()
    assert all(a["typology"] == typ and a["score"] >= 0.5 for a in only["items"])
    assert admin.get("/api/alerts", params={"min_score": 2}).status_code == 422


def test_pe_analyst_sees_pe_records_and_only_regional_counts(app, admin: TestClient, analyst_pe: TestClient) -> None:
    mine = analyst_pe.get("/api/alerts", params={"limit": 500}).json()
    assert mine["total"] and {a["country"] for a in mine["items"]} == {"PE"}
    co = admin.get("/api/alerts", params={"country": "CO"}).json()["items"][0]
    r = analyst_pe.get(f"/api/alerts/{co['alert_id']}")
    assert r.status_code == 403 and "PE" in r.json()["detail"]
    assert analyst_pe.get(f"/dossier/{co['alert_id']}").status_code == 403
    overview = analyst_pe.get("/api/overview").json()
    assert overview["region"]["by_country"].get("CO") and overview["in_scope"]["total"] == mine["total"]
    layer = analyst_pe.get("/api/map/rights").json()
    assert layer["features"] and {f["properties"]["country"] for f in layer["features"]} == {"PE"}
    co_actor = next(a for a in admin.get("/api/alerts", params={"country": "CO", "limit": 500}).json()["items"]
                    if a["subject_type"] == "actor")
    assert analyst_pe.get(f"/api/entities/{co_actor['subject_id']}").status_code == 403


def test_state_change_without_csrf_is_rejected(app, login_as, admin: TestClient) -> None:
    alert = admin.get("/api/alerts").json()["items"][0]
    client = login_as("admin")
    del client.headers["X-CSRF-Token"]
    r = client.put(f"/api/alerts/{alert['alert_id']}/triage", json={"status": "reviewing"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    client.headers["X-CSRF-Token"] = "forged"
    assert client.put(f"/api/alerts/{alert['alert_id']}/triage", json={"status": "reviewing"}).status_code == 403


def test_analyst_escalates_but_cannot_close(analyst_pe: TestClient) -> None:
    alert = analyst_pe.get("/api/alerts").json()["items"][0]
    url = f"/api/alerts/{alert['alert_id']}/triage"
    assert analyst_pe.put(url, json={"status": "confirmed"}).status_code == 403
    r = analyst_pe.put(url, json={"status": "escalated", "assignee": "super", "note": "check the exporter"})
    assert r.status_code == 200 and r.json()["status"] == "escalated"
    detail = analyst_pe.get(f"/api/alerts/{alert['alert_id']}").json()
    assert detail["triage"]["status"] == "escalated" and detail["notes"][0]["text"] == "check the exporter"
    assert json.loads(detail["history"][-1]["detail"])["status"] == ["new", "escalated"]
    assert analyst_pe.get("/api/alerts", params={"status": "escalated"}).json()["total"] >= 1


def test_every_access_is_audited(app, admin: TestClient, analyst_pe: TestClient) -> None:
    analyst_pe.get("/api/alerts", params={"country": "PE", "limit": 7})
    rows = admin.get("/api/audit", params={"username": "ana_pe", "limit": 1000}).json()
    assert any(r["action"] == "GET" and r["target"].startswith("/api/alerts?") and "limit=7" in r["target"] for r in rows)
    assert analyst_pe.get("/api/audit").status_code == 403


def test_alert_detail_has_evidence_and_lineage(admin: TestClient) -> None:
    alert = admin.get("/api/alerts", params={"typology": "unlicensed_disturbance"}).json()["items"][0]
    detail = admin.get(f"/api/alerts/{alert['alert_id']}").json()
    assert detail["evidence"] and detail["has_geometry"]
    src = detail["lineage"][0]
    assert src["file"].endswith(".csv") and src["row"] >= 2 and src["batch_id"]
    html = admin.get(f"/dossier/{alert['alert_id']}").text
    assert "<svg" in html and alert["subject_id"] in html and "Lineage" in html


def test_map_layers_bbox_and_cap(admin: TestClient) -> None:
    full = admin.get("/api/map/detections").json()
    assert full["features"] and full["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    capped = admin.get("/api/map/detections", params={"limit": 2}).json()
    assert len(capped["features"]) == 2 and capped["truncated"]
    empty = admin.get("/api/map/rights", params={"bbox": "0,0,1,1"}).json()
    assert empty["features"] == [] and not empty["truncated"]
    assert admin.get("/api/map/rights", params={"bbox": "a,b"}).status_code == 422
    assert admin.get("/api/map/alerts").json()["features"]


def test_entity_and_network(admin: TestClient) -> None:
    alert = next(a for a in admin.get("/api/alerts", params={"typology": "opaque_ownership"}).json()["items"])
    data = admin.get(f"/api/entities/{alert['subject_id']}").json()
    assert data["record"]["actor_id"] == alert["subject_id"] and data["owners"] and data["alerts"]
    assert "<svg" in admin.get(f"/api/entities/{alert['subject_id']}/network.svg").text


def test_exports(admin: TestClient) -> None:
    text = admin.get("/api/alerts/export", params={"format": "csv", "country": "PE"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {r["country"] for r in rows} == {"PE"} and "triage_status" in rows[0]
    table = pq.read_table(io.BytesIO(admin.get("/api/alerts/export", params={"format": "parquet"}).content))
    assert table.num_rows == admin.get("/api/alerts").json()["total"]
    geo = admin.get("/api/alerts/export", params={"format": "geojson"}).json()
    assert any(f["geometry"] for f in geo["features"])


def test_batches_and_background_analysis_keep_triage(app, login_as, admin: TestClient, demo_workspace) -> None:
    assert admin.get("/api/batches").json()[0]["source_file"]
    alert = admin.get("/api/alerts").json()["items"][1]
    url = f"/api/alerts/{alert['alert_id']}/triage"
    assert admin.put(url, json={"status": "confirmed", "note": "seen at the border"}).status_code == 200
    assert login_as("ana_pe").post("/api/analysis").status_code == 403
    r = admin.post("/api/analysis", json={"detectors": ["opaque_ownership", alert["typology"]]})
    assert r.status_code == 202
    app.state.filon.jobs.wait(120)
    status = admin.get("/api/analysis").json()
    assert status["state"] == "done", status
    after = admin.get(f"/api/alerts/{alert['alert_id']}").json()
    assert after["triage"]["status"] == "confirmed" and after["notes"][0]["text"] == "seen at the border"
    run_analysis(demo_workspace, demo_workspace / "results")  # restore every detector's alerts for other tests
    assert admin.get(f"/api/alerts/{alert['alert_id']}").json()["triage"]["status"] == "confirmed"


def test_admin_creates_users(admin: TestClient, analyst_pe: TestClient) -> None:
    body = {"username": "new_bo", "password": "a-long-password", "role": "analyst", "countries": "bo"}
    assert analyst_pe.post("/api/users", json=body).status_code == 403
    assert admin.post("/api/users", json=body).json()["countries"] == "BO"
    assert admin.post("/api/users", json={**body, "countries": "XX"}).status_code == 422


def test_odd_input_is_refused_not_a_server_error(app, admin: TestClient) -> None:
    """What the fuzzer cannot send: JSON escapes for an unpaired surrogate or a NUL character.
    They used to crash the 422 answer (500) or would fail in PostgreSQL; now they are refused."""
    client = TestClient(app, raise_server_exceptions=False)
    for body in (b'{"username": "\\ud800", "password": "x"}', b'{"username": "admin", "password": "a\\u0000"}'):
        r = client.post("/api/login", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text
        assert "a\\u0000" not in r.text  # a password is never echoed back
    alert = admin.get("/api/alerts").json()["items"][0]["alert_id"]
    for body in (b'{"note": "\\ud800"}', b'{"assignee": "x\\u0000"}', b'{}', b'{"note": ""}'):
        r = admin.put(f"/api/alerts/{alert}/triage", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "body", r.text


def test_signing_out_ends_the_session_on_the_server(login_as) -> None:
    client = login_as("ana_co")
    cookie = client.cookies["filon_session"]
    assert client.post("/api/logout").status_code == 204
    replayed = TestClient(client.app, cookies={"filon_session": cookie})
    assert replayed.get("/api/alerts").status_code == 401


def test_a_disabled_account_is_refused_within_seconds(app, login_as, monkeypatch) -> None:
    from sqlalchemy import update

    from filon.api import auth
    from filon.api.db.models import User

    monkeypatch.setattr(auth, "PRINCIPAL_SECONDS", 0.0)
    client = login_as("ana_co")
    assert client.get("/api/alerts").status_code == 200
    with app.state.filon.db.session() as s:
        s.execute(update(User).where(User.username == "ana_co").values(active=False))
    try:
        assert client.get("/api/alerts").status_code == 401
    finally:
        with app.state.filon.db.session() as s:
            s.execute(update(User).where(User.username == "ana_co").values(active=True))


def test_fast_alert_list_answers_as_the_route_does_and_is_audited(app, admin: TestClient, analyst_pe: TestClient,
                                                                   monkeypatch) -> None:
    from filon.api import fastpath

    answered: list[bool] = []
    answer = fastpath._answer
    monkeypatch.setattr(fastpath, "_answer", lambda scope: answered.append((body := answer(scope)) is not None) or body)
    params = {"limit": 4, "offset": 1, "sort": "period", "typology": "unlicensed_disturbance,mass_balance_break"}
    app.state.filon.triage._loaded_at = float("-inf")   # stale: the FastAPI route answers
    by_route = analyst_pe.get("/api/alerts", params=params)
    by_fast_path = analyst_pe.get("/api/alerts", params=params)
    assert answered == [False, True]
    assert by_route.status_code == by_fast_path.status_code == 200
    assert by_route.json() == by_fast_path.json() and by_route.json()["items"]
    assert by_route.headers["cache-control"] == by_fast_path.headers["cache-control"] == "no-store"
    assert analyst_pe.get("/api/alerts", params={"limit": 0}).status_code == 422   # invalid: the route says why
    rows = admin.get("/api/audit", params={"username": "ana_pe", "limit": 20}).json()
    assert sum(r["target"].startswith("/api/alerts?limit=4&offset=1&sort=period") for r in rows) == 2
