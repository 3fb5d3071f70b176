"""The CSV export format: each file's required headers and how one of its rows becomes a record.

Empty cells are null; where the schema has a default (a deal's kind `new`, a ticket's zero
followups, a stage's order 0 and open/not-won flags) an empty cell takes it. An owner with no
name gets the empty name (reports then show the email or id), and a stage with no label is
labelled with its id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeAlias, cast, get_origin, get_type_hints

from connectors.files.values import (
    BadValue,
    Row,
    Style,
    amount,
    flag,
    instant,
    lowercase,
    number,
    text,
    whole,
)
from connectors.schema import (
    Contact,
    Deal,
    Owner,
    Record,
    Stage,
    StageVisit,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
    field_type,
    stage_key,
)

Builder = Callable[[str, Row], Record]
"""Builds the record of one row, given the connector's name as the record's source."""

Key = Callable[[Row], str | None]
"""The store id of a row's record read from its id cells alone; None when they are unusable.

It names the record a bad row stands for, so that the record is kept rather than deleted.
"""


@dataclass(frozen=True, slots=True)
class FileLayout:
    """One CSV file of the export: its stream (the cursor's name) and its record kind."""

    stream: str
    filename: str
    kind: str
    headers: tuple[str, ...]
    build: Builder
    key: Key


def _id(row: Row) -> str | None:
    return row.get("id", text)


def _stage_id(row: Row) -> str | None:
    pipeline_id, stage_id = row.get("pipeline_id", text), row.get("stage_id", text)
    return None if pipeline_id is None or stage_id is None else stage_key(pipeline_id, stage_id)


def _no_key(row: Row) -> None:
    """A subscription event is keyed by every one of its cells, so a bad row's key is unknown."""
    return None


_RENAMED = {"source": "lead_source"}
"""Headers that name a field differently: the export's `source` is where a lead came from,
while a record's `source` is the connector it came from."""

Fallbacks: TypeAlias = Mapping[str, Callable[[Mapping[str, object]], object]]
"""What the empty cell of a required field takes, from the row's other fields, by field."""

_OWNER_FALLBACKS: Fallbacks = {"name": lambda fields: ""}
_STAGE_FALLBACKS: Fallbacks = {
    "pipeline_label": lambda fields: fields["pipeline_id"],
    "stage_label": lambda fields: fields["stage_id"],
}


def _parser(hint: object) -> Callable[[str, Style], object]:
    """How a cell is read for a field of type `hint` (not None)."""
    if get_origin(hint) is Literal:
        # the schema rejects any other value, naming the allowed ones
        return lowercase
    parsers: dict[object, Callable[[str, Style], object]] = {
        str: text,
        datetime: instant,
        Decimal: amount,
        float: number,
        int: whole,
        bool: flag,
    }
    return parsers[hint]


@dataclass(frozen=True, slots=True)
class _Cell:
    """One header read into one field: its parser, and the field's default or requirement."""

    header: str
    field: str
    parse: Callable[[str, Style], object]
    required: bool
    default: object


@dataclass(frozen=True, slots=True)
class _Cells:
    """How every cell of a file's row is read, and the fallbacks of its empty ones."""

    cells: tuple[_Cell, ...]
    fallbacks: Fallbacks


def _cells(record_type: type[Record], headers: Sequence[str], fallbacks: Fallbacks) -> _Cells:
    hints = get_type_hints(record_type)
    by_name = {item.name: item for item in fields(record_type)}
    cells = []
    for header in headers:
        name = _RENAMED.get(header, header)
        hint, default = hints[name], by_name[name].default
        hint, optional = field_type(name, hint)
        required = not optional and default is MISSING and name not in fallbacks
        cells.append(_Cell(header, name, _parser(hint), required, default))
    return _Cells(tuple(cells), fallbacks)


def _values(cells: _Cells, row: Row) -> dict[str, object]:
    """The fields of a row in header order, so that the first bad cell is the one named."""
    values: dict[str, object] = {}
    for cell in cells.cells:
        value = (
            row.need(cell.header, cell.parse) if cell.required else row.get(cell.header, cell.parse)
        )
        if value is None and cell.default is not MISSING:
            value = cell.default
        values[cell.field] = value
    for name, fallback in cells.fallbacks.items():
        if values[name] is None:
            values[name] = fallback(values)
    return values


def _builder(record_type: type[Record], headers: Sequence[str], fallbacks: Fallbacks) -> Builder:
    """The builder of a file whose `headers` are fields of `record_type` (or `_RENAMED`)."""
    cells = _cells(record_type, headers, fallbacks)

    def build(source: str, row: Row) -> Record:
        return cast(Callable[..., Record], record_type)(source=source, **_values(cells, row))

    return build


def deal_builder(history: Mapping[str, Sequence[StageVisit]]) -> Builder:
    """The deals builder, attaching to each deal its visits from `stage_history.csv`."""
    cells = _cells(Deal, DEAL_HEADERS, {})

    def build(source: str, row: Row) -> Deal:
        values = _values(cells, row)
        visits = tuple(history.get(cast(str, values["id"]), ()))
        return Deal(source=source, **values, stage_history=visits)  # type: ignore[arg-type]

    return build


def visit_deal_id(row: Row) -> str | None:
    """The deal a `stage_history.csv` row belongs to, when its deal_id cell is filled."""
    return row.get("deal_id", text)


def visit(row: Row) -> tuple[str, StageVisit]:
    """A `stage_history.csv` row: the deal it belongs to and the visit."""
    entered = row.need("entered_at", instant)
    exited = row.get("exited_at", instant)
    if exited is not None and exited < entered:
        raise BadValue(
            "exited_at", f"{exited.isoformat()} is before entered_at {entered.isoformat()}"
        )
    return row.need("deal_id", text), StageVisit(row.need("stage_id", text), entered, exited)


HISTORY_FILE = "stage_history.csv"
HISTORY_HEADERS = ("deal_id", "stage_id", "entered_at", "exited_at")
DEAL_HEADERS = (
    "id",
    "name",
    "pipeline_id",
    "stage_id",
    "status",
    "amount",
    "currency",
    "owner_id",
    "contact_id",
    "source",
    "kind",
    "lost_reason",
    "campaign",
    "created_at",
    "closed_at",
    "expected_close_at",
    "probability",
)
"""The columns of `deals.csv`, in the order its cells are read."""


def _layout(
    stream: str,
    record_type: type[Record],
    headers: tuple[str, ...],
    key: Key,
    fallbacks: Fallbacks | None = None,
) -> FileLayout:
    """The layout of `<stream>.csv`, its rows read as `record_type` by header order."""
    build = _builder(record_type, headers, fallbacks or {})
    return FileLayout(stream, f"{stream}.csv", record_type.KIND, headers, build, key)


DEALS = FileLayout("deals", "deals.csv", Deal.KIND, DEAL_HEADERS, deal_builder({}), _id)

LAYOUTS: tuple[FileLayout, ...] = (
    _layout("owners", Owner, ("id", "name", "email"), _id, _OWNER_FALLBACKS),
    _layout(
        "pipelines",
        Stage,
        (
            "pipeline_id",
            "pipeline_label",
            "stage_id",
            "stage_label",
            "stage_order",
            "probability",
            "is_closed",
            "is_won",
        ),
        _stage_id,
        _STAGE_FALLBACKS,
    ),
    _layout("contacts", Contact, ("id", "email", "created_at", "source", "churned_at"), _id),
    DEALS,
    _layout(
        "tickets",
        Ticket,
        ("id", "created_at", "closed_at", "owner_id", "followups", "pipeline"),
        _id,
    ),
    _layout("subscriptions", SubscriptionEvent, ("contact_id", "list", "action", "at"), _no_key),
    _layout("surveys", SurveyResponse, ("id", "contact_id", "score", "submitted_at"), _id),
)
"""Every file of the export, in the order they are read (owners and stages first)."""
