"""`POST /v1/timelines` on a real `jurisdiction serve` on 127.0.0.1: the same JSON as
`jurisdiction timeline --format json`, the `fail_within` gate, and 422s for a bad window."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from tests.helpers import cli  # noqa: E402
from tests.test_server import Server, no_trace, start  # noqa: E402
from tests.test_timeline_cli import OKLAHOMA  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start(tmp_path_factory.mktemp("serve-timeline"))
    yield srv
    assert srv.stop() == 0
    assert "Traceback" not in srv.stderr.read_text()


def _post(server: Server, query: str, body: bytes = OKLAHOMA.encode(), kind: str = "application/yaml") -> Any:
    return server.post("/v1/timelines" + query, content=body, headers={"content-type": kind})


def test_timeline_is_the_cli_json(server: Server, tmp_path: Path) -> None:
    r = _post(server, "?from=2026-12-01&until=2027-12-31")
    assert r.status_code == 200, r.text
    spec = tmp_path / "ok.yaml"
    spec.write_text(OKLAHOMA, encoding="utf-8")
    expected = cli(
        "timeline", spec, "--from", "2026-12-01", "--until", "2027-12-31", "--format", "json", "--rules", server.rules
    )
    assert r.json() == json.loads(expected.out)
    assert r.headers["x-rules-revision"] == r.json()["rules_revision"]


def test_fail_within_gate(server: Server) -> None:
    failing = _post(server, "?from=2026-12-01&fail_within=31").json()
    assert failing["gate"]["passed"] is False
    assert [g["id"] for g in failing["gate"]["due"]] == ["us-ok-ocdpa/data-protection-assessment"]
    passing = _post(server, "?from=2026-12-01&fail_within=30").json()
    assert passing["gate"] == {"within": 30, "by": "2026-12-31", "passed": True, "due": [], "waived": []}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=2027-01-01&until=2026-01-01", "until"),
        ("?from=2026-12-01&until=2026-12-10&fail_within=30", "fail_within"),
        ("?fail_within=soon", "fail_within"),
        ("?from=tomorrow", "from"),
        ("?frm=2026-12-01", "frm"),
    ],
)
def test_bad_window_is_422(server: Server, query: str, field: str) -> None:
    r = _post(server, query)
    assert r.status_code == 422
    no_trace(r)
    assert field in [p["field"] for p in r.json()["problems"]]


def test_bad_spec_is_422(server: Server) -> None:
    r = _post(server, "?from=2026-12-01", b'{"id": "x"}', "application/json")
    assert r.status_code == 422
    assert r.json()["problems"]


def test_openapi_documents_the_route(server: Server) -> None:
    doc = server.get("/openapi.json").json()
    post = doc["paths"]["/v1/timelines"]["post"]
    assert {p["name"] for p in post["parameters"]} == {"from", "until", "fail_within", "fail_on_warnings"}
    assert "Timeline" in doc["components"]["schemas"]
