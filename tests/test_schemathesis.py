"""Property-based tests of the whole API from its own OpenAPI schema (schemathesis) against a live server.

Bounded here (SCHEMATHESIS_EXAMPLES per operation, default 30: ~330 requests). The long run, with
>= 10,000 generated requests, uses the CLI against `clinrag serve`:

    CLINRAG_RATE_LIMIT_PER_MIN=0 clinrag serve --port 8080 &
    schemathesis run http://127.0.0.1:8080/openapi.json -H "Authorization: Bearer $ADMIN_KEY" \
        --max-examples 1000 --phases examples,coverage,fuzzing --suppress-health-check all \
        -c not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,\
response_headers_conformance,negative_data_rejection,positive_data_acceptance
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app  # noqa: E402
from api.keys import KeyStore  # noqa: E402
from rag.backends import Backends  # noqa: E402
from rag.settings import Settings  # noqa: E402
from tests.helpers import live_server  # noqa: E402
from tests.test_api import FEVER_EN, FEVER_ZH  # noqa: E402

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]


@pytest.fixture(scope="module")
def live(tmp_path_factory, minilm) -> Iterator[dict[str, str]]:
    from ingest.run import ingest_paths

    root = tmp_path_factory.mktemp("fuzz")
    docs = root / "docs"
    docs.mkdir()
    (docs / "fever-test.md").write_text(FEVER_EN, encoding="utf-8")
    (docs / "fever-zh-test.md").write_text(FEVER_ZH, encoding="utf-8")
    # small limits so the fuzzer meets them; no rate limit so it reaches the handlers
    s = Settings(data_dir=root / "data", rate_limit_per_min=0, max_upload_mb=0.5, max_concurrency=4)
    backends = Backends(s, _embedder=minilm)
    assert ingest_paths([docs], s, minilm, backends.store).ok
    keys = KeyStore(s.data_dir / "keys.sqlite3")
    admin = keys.create("fuzzer", ["admin"])[1]
    keys.close()
    with live_server(create_app(s, backends)) as url:
        yield {"url": url, "key": admin}
    backends.close()


def _run_operations(live: dict[str, str], mode: str) -> tuple[int, list[str]]:
    """Hypothesis over every operation in `mode`; returns (requests sent, failures)."""
    from hypothesis import given
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(f"{live['url']}/openapi.json")
    headers = {"Authorization": f"Bearer {live['key']}"}
    sent = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        op = result.ok()
        checks = list(CHECKS)
        # a schema-valid upload may still be refused for what the file is (a name without .pdf/.md/.txt: 415;
        # empty: 422); every other operation must accept whatever its schema allows
        # records likewise: a schema-valid text can be whitespace only, hold NUL bytes or exceed the character limit,
        # and an upload can be a PDF without text: a clear 400 naming the problem, by design
        if not (op.method.upper() == "POST" and op.path in ("/v1/guidelines", "/v1/summaries", "/v1/summaries/file",
                                                               "/v1/entities")):
            checks.append(positive_data_acceptance)

        @given(case=op.as_strategy(GenerationMode(mode)))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def run(case) -> None:  # type: ignore[no-untyped-def]
            nonlocal sent
            sent += 1
            case.call_and_validate(headers=headers, checks=checks, timeout=60)

        try:
            run()
        except Unsatisfiable:  # negative mode: an operation without parameters cannot be called wrongly
            continue
        except Exception as exc:  # noqa: BLE001  one report per operation, then go on with the rest
            failures.append(f"{op.method.upper()} {op.path} ({mode}): {exc}"[:3000])
    return sent, failures


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_api_conforms_to_its_schema(live: dict[str, str], mode: str) -> None:
    """No 5xx; statuses, content types, headers and bodies as documented; invalid input rejected, valid accepted."""
    sent, failures = _run_operations(live, mode)
    print(f"schemathesis {mode}: {sent} requests, {len(failures)} failing operations")
    assert sent >= 10 * EXAMPLES // 2
    assert not failures, "\n\n".join(failures)
