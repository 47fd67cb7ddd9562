"""The library API and the pytest helper, against real databases."""

from __future__ import annotations

import pytest

import schemadoctor
from gate_support import build_drifted_database, import_file, write_models
from schemadoctor.testing import assert_no_drift


@pytest.fixture
def app(tmp_path):
    """The models module written by the test."""
    return import_file(write_models(tmp_path))


def test_check_takes_a_url_or_an_engine_and_a_metadata(app, db_url, writable_engine):
    engine = writable_engine(db_url)
    build_drifted_database(engine)

    by_url = schemadoctor.check(app.Base.metadata, db_url)
    by_engine = schemadoctor.check(app.Base.metadata, engine, fail_on="error")

    kinds = [(f.kind.value, f.table, f.column) for f in by_url.findings]
    assert kinds == [
        ("missing_column", "accounts", "nickname"),
        ("missing_table", "ledgers", None),
        ("extra_table", "legacy", None),
    ]
    assert by_engine.findings == by_url.findings
    assert by_url.summary == {"error": 2, "warning": 0, "info": 1}
    assert by_url.exit_code == by_engine.exit_code == 1


def test_assert_no_drift_names_each_finding(app, db_url, writable_engine):
    engine = writable_engine(db_url)
    build_drifted_database(engine)

    with pytest.raises(AssertionError) as raised:
        assert_no_drift(engine, app.Base.metadata)

    message = str(raised.value)
    assert message.startswith("schemadoctor found 2 drifts between the models and ")
    assert "missing_column " in message and ".accounts.nickname" in message
    assert "missing_table " in message and ".ledgers" in message
    assert "legacy" not in message  # an extra table is info, below the default fail-on
    with pytest.raises(AssertionError, match="extra_table"):
        assert_no_drift(engine, app.Base.metadata, fail_on="info")


def test_assert_no_drift_passes_when_in_sync(app, db_url, writable_engine):
    engine = writable_engine(db_url)
    app.Base.metadata.create_all(engine)

    report = assert_no_drift(engine, app.Base.metadata)

    assert report.findings == [] and report.exit_code == 0
