"""The column tables' field declarations are written from the schema (`kpis.column_codegen`)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

import kpis.columns
from kpis.column_codegen import BEGIN, END, render, rewrite
from kpis.columns import Columns


@dataclass(frozen=True)
class _Visit:
    stage_id: str
    entered_at: datetime


@dataclass(frozen=True)
class _Order:
    source: str
    placed_at: datetime
    note: str | None
    amount: Decimal | None
    quantity: int
    weight: float | None
    stage_history: tuple[_Visit, ...]
    id: str


def _declarations(record: type[object]) -> list[str]:
    text = render((record,))
    return [line.strip() for line in text.splitlines() if line.startswith("    ") and ":" in line]


def test_the_declarations_in_columns_py_are_the_ones_the_schema_gives() -> None:
    text = Path(kpis.columns.__file__).read_text(encoding="utf-8")
    block = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert block == render(), "run `python -m kpis.column_codegen` after changing the schema"


@pytest.mark.parametrize(
    ("name", "declaration"),
    [
        ("source", "source: Labels = field(default_factory=_empty_labels)"),
        ("id", "id: Sequence[str] = ()"),
        ("placed_at", "placed_at: Instants = field(default_factory=_empty_instants)"),
        ("note", "note: Labels = field(default_factory=_empty_labels)"),
        ("amount", "amount: Sequence[Decimal | None] = ()"),
        ("quantity", "quantity: npt.NDArray[np.int64] = field(default_factory=_empty_integers)"),
        ("weight", "weight: npt.NDArray[np.float64] = field(default_factory=_empty_floats)"),
    ],
    ids=["labels", "plain-text", "instants", "optional-text", "decimals", "integers", "floats"],
)
def test_a_new_field_is_declared_with_the_column_type_of_its_kind(
    name: str, declaration: str
) -> None:
    assert declaration in _declarations(_Order)


def test_the_key_is_declared_first_whatever_the_schemas_order() -> None:
    names = [line.split(":")[0] for line in _declarations(_Order)]
    assert names[:2] == ["source", "id"]


def test_a_child_record_gets_a_table_led_by_its_parents_position() -> None:
    text = render((_Order,))
    child = text[text.index("class _VisitFields") :]
    assert [line.split(":")[0] for line in _declarations(_Visit)] == ["stage_id", "entered_at"]
    assert "    _order: Codes = field(default_factory=_empty_codes)\n" in child
    assert "stage_history" not in text


def test_rewrite_replaces_only_the_block_between_the_markers() -> None:
    text = f"head\n{BEGIN}old\n{END}tail\n"
    assert rewrite(text, f"{BEGIN}new\n{END}") == f"head\n{BEGIN}new\n{END}tail\n"


@pytest.mark.parametrize(
    "table", [f.name for f in fields(Columns)], ids=[f.name for f in fields(Columns)]
)
def test_an_empty_table_has_no_records(table: str) -> None:
    assert len(getattr(Columns(), table)) == 0
