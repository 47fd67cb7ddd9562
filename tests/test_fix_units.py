"""Fast checks of the planner's pure parts: enum label positions, the script, exit codes."""

from __future__ import annotations

from schemadoctor.plan import NEEDS_DESTRUCTIVE, Change, Phase, Plan, render_sql
from schemadoctor.plan.enums import _anchors


def test_missing_labels_keep_the_models_order():
    assert _anchors(("a", "b", "c"), ("a", "c")) == [("b", ("BEFORE", "c"))]
    assert _anchors(("a", "b", "c"), ("a",)) == [("b", ("AFTER", "a")), ("c", ("AFTER", "b"))]
    assert _anchors(("x", "a"), ("a",)) == [("x", ("BEFORE", "a"))]
    assert _anchors(("a", "b"), ("a", "b")) == []


def test_names_with_line_breaks_stay_inside_comments():
    hostile = 'add column t."x\nDROP TABLE users; --"'
    change = Change(summary=hostile, phase=Phase.COLUMNS, table=("main", "t"))
    change.statements = ['ALTER TABLE t ADD COLUMN "x\nDROP TABLE users; --" INTEGER']
    plan = Plan(dialect="sqlite", url="sqlite:///x.db", changes=[change])

    script = render_sql(plan)

    comment_lines = [line for line in script.splitlines() if "add column" in line]
    assert comment_lines == ['-- add column t."x DROP TABLE users; --"']


def test_exit_code_says_what_the_plan_leaves_out():
    def skipped(reason: str) -> Change:
        return Change(summary="s", phase=Phase.ALTER, table=None, skip_reason=reason)

    assert Plan(dialect="sqlite", url="u").exit_code == 0
    assert Plan(dialect="sqlite", url="u", skipped=[skipped("it would fail")]).exit_code == 1
    assert Plan(dialect="sqlite", url="u", skipped=[skipped(NEEDS_DESTRUCTIVE)]).exit_code == 3


def test_transaction_wraps_all_but_concurrent_index_builds():
    inside = Change(summary="add", phase=Phase.COLUMNS, table=None, statements=["A"])
    after = Change(
        summary="index", phase=Phase.INDEXES, table=None, statements=["B"], transactional=False
    )
    plan = Plan(dialect="postgresql", url="u", changes=[after, inside])

    lines = [line for line in render_sql(plan).splitlines() if line and not line.startswith("--")]

    assert lines == ["BEGIN;", "A;", "COMMIT;", "B;"]
    assert plan.statements == ["A", "B"]
