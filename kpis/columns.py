"""The records the KPIs read, as columns: one array per field, one position per record.

The KPIs of a large account pass over millions of records. As Python objects, building and
walking them takes most of the time and memory; as columns, a pass is one vectorized numpy
operation. A `Dataset` holds its records as these columns, built from record objects (tests,
small sources) or read straight from the store (`sync.store.loading`); `kpis.column_records`
turns a column position back into a record where a report lists one.

Instants are int64 microseconds since the Unix epoch (UTC); `MISSING` stands for an unset
one and must be masked out before comparing. Text that repeats (owners, pipelines, statuses)
is a `Labels` column of codes into its distinct values; ids are plain lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import Field, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Self, TypeAlias, TypeVar, cast

import numpy as np
import numpy.typing as npt

from connectors.schema import (
    Contact,
    Deal,
    DealVersion,
    StageVisit,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)
from kpis.fields import FieldColumn, Kind, record_fields

Instants: TypeAlias = npt.NDArray[np.int64]
Codes: TypeAlias = npt.NDArray[np.int32]

MISSING = int(np.iinfo(np.int64).min)
"""The instant of a field that is not set (a deal still open has no `closed_at`)."""
NO_LABEL = -1
"""The code of a text field that is not set."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(instant: datetime) -> int:
    """An aware instant as exact microseconds since the Unix epoch."""
    return (instant - _EPOCH) // _MICROSECOND


def instant_of(value: int) -> datetime:
    """The UTC instant of microseconds since the epoch (the inverse of `micros`)."""
    return _EPOCH + timedelta(microseconds=int(value))


def optional_instant(value: int) -> datetime | None:
    """`instant_of`, or None for `MISSING`."""
    return None if value == MISSING else instant_of(value)


def instants(values: Iterable[datetime | None]) -> Instants:
    """A column of instants; None becomes `MISSING`."""
    return np.fromiter(
        (MISSING if value is None else micros(value) for value in values), dtype=np.int64
    )


@dataclass(frozen=True)
class Labels:
    """A text column as codes into `values` (its distinct values); `NO_LABEL` is None."""

    codes: Codes
    values: tuple[str, ...]

    @classmethod
    def of(cls, texts: Iterable[str | None]) -> Labels:
        """The column of `texts`, coded in order of first appearance."""
        items = texts if isinstance(texts, list) else list(texts)
        distinct = [text for text in dict.fromkeys(items) if text is not None]
        code_of: dict[str | None, int] = {text: code for code, text in enumerate(distinct)}
        code_of[None] = NO_LABEL
        # dict lookups mapped in C: at a million texts, a Python loop would take seconds
        codes = np.fromiter(map(code_of.__getitem__, items), dtype=np.int32, count=len(items))
        return cls(codes, tuple(distinct))

    def __len__(self) -> int:
        return len(self.codes)

    def at(self, position: int) -> str | None:
        """The text of the record at `position`."""
        code = int(self.codes[position])
        return None if code == NO_LABEL else self.values[code]

    def code(self, text: str) -> int:
        """The code of `text`; `NO_LABEL` when no record has it."""
        try:
            return self.values.index(text)
        except ValueError:
            return NO_LABEL

    def texts(self) -> list[str | None]:
        """Every record's text, in order."""
        lookup: list[str | None] = [*self.values, None]
        return [lookup[code] for code in self.codes.tolist()]


def record_keys(source: Labels, ids: Sequence[str]) -> list[tuple[str, str]]:
    """Each record's key, `(source, id)`, in column order."""
    return list(zip(map(str, source.texts()), ids, strict=True))


def _empty_labels() -> Labels:
    return Labels(np.zeros(0, dtype=np.int32), ())


def _empty_instants() -> Instants:
    return np.zeros(0, dtype=np.int64)


def _empty_integers() -> npt.NDArray[np.int64]:
    return np.zeros(0, dtype=np.int64)


def _empty_floats() -> npt.NDArray[np.float64]:
    return np.zeros(0, dtype=np.float64)


def _empty_codes() -> Codes:
    return np.zeros(0, dtype=np.int32)


def column_of(kind: Kind, values: Sequence[Any]) -> Any:
    """The column of `kind` (`kpis.fields`) holding `values`, None where one is unset."""
    if kind == "labels":
        return Labels.of(values)
    if kind == "instants":
        return instants(values)
    if kind == "integers":
        return np.fromiter(values, dtype=np.int64, count=len(values))
    if kind == "floats":
        return np.fromiter(
            (np.nan if value is None else value for value in values),
            dtype=np.float64,
            count=len(values),
        )
    return list(values)


def column_values(kind: Kind, column: Any) -> list[Any]:
    """Every value of a column of `kind`, in order, None where unset: `column_of` undone."""
    if kind == "labels":
        labels: Labels = column
        return labels.texts()
    if kind == "instants":
        return [optional_instant(value) for value in column.tolist()]
    if kind == "floats":
        return [None if np.isnan(value) else value for value in column.tolist()]
    # an int64 array's `tolist` gives Python ints
    return column.tolist() if kind == "integers" else list(column)


def value_at(kind: Kind, column: Any, at: int) -> Any:
    """The value at position `at` of a column of `kind`, None where unset."""
    if kind == "labels":
        labels: Labels = column
        return labels.at(at)
    if kind == "instants":
        return optional_instant(int(column[at]))
    if kind == "integers":
        return int(column[at])
    if kind == "floats":
        value = float(column[at])
        return None if np.isnan(value) else value
    return column[at]


class RecordColumns:
    """The columns of one record kind, `RECORD`: one attribute per field (`kpis.fields`).

    The `<Record>Fields` subclasses declare the fields with their column types, for the KPIs'
    static types; `kpis.column_codegen` writes them from the schema, so they are its fields.
    """

    RECORD: ClassVar[type[Any]]
    # set by `dataclass` on each subclass; declared so that `dataclasses.fields` takes one
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @classmethod
    def fields(cls) -> tuple[FieldColumn, ...]:
        return record_fields(cls.RECORD)

    @classmethod
    def of(cls, records: Sequence[Any]) -> Self:
        built = {
            column.name: column_of(column.kind, [getattr(r, column.name) for r in records])
            for column in cls.fields()
        }
        table: Self = cast(Any, cls)(**built)
        return table

    def __len__(self) -> int:
        first: Sized = getattr(self, fields(self)[0].name)
        return len(first)


# BEGIN generated by kpis.column_codegen from connectors.schema: do not edit
@dataclass(frozen=True)
class DealFields(RecordColumns):
    """The columns of `Deal`, one per field."""

    RECORD = Deal
    source: Labels = field(default_factory=_empty_labels)
    id: Sequence[str] = ()
    pipeline_id: Labels = field(default_factory=_empty_labels)
    stage_id: Labels = field(default_factory=_empty_labels)
    status: Labels = field(default_factory=_empty_labels)
    created_at: Instants = field(default_factory=_empty_instants)
    name: Sequence[str | None] = ()
    amount: Sequence[Decimal | None] = ()
    currency: Labels = field(default_factory=_empty_labels)
    owner_id: Labels = field(default_factory=_empty_labels)
    contact_id: Labels = field(default_factory=_empty_labels)
    lead_source: Labels = field(default_factory=_empty_labels)
    kind: Labels = field(default_factory=_empty_labels)
    lost_reason: Labels = field(default_factory=_empty_labels)
    campaign: Labels = field(default_factory=_empty_labels)
    closed_at: Instants = field(default_factory=_empty_instants)
    expected_close_at: Instants = field(default_factory=_empty_instants)
    probability: npt.NDArray[np.float64] = field(default_factory=_empty_floats)


@dataclass(frozen=True)
class StageVisitFields(RecordColumns):
    """The columns of `StageVisit`, one per field."""

    RECORD = StageVisit
    deal: Codes = field(default_factory=_empty_codes)
    stage_id: Labels = field(default_factory=_empty_labels)
    entered_at: Instants = field(default_factory=_empty_instants)
    exited_at: Instants = field(default_factory=_empty_instants)


@dataclass(frozen=True)
class DealVersionFields(RecordColumns):
    """The columns of `DealVersion`, one per field."""

    RECORD = DealVersion
    deal: Codes = field(default_factory=_empty_codes)
    valid_from: Instants = field(default_factory=_empty_instants)
    valid_to: Instants = field(default_factory=_empty_instants)
    pipeline_id: Labels = field(default_factory=_empty_labels)
    stage_id: Labels = field(default_factory=_empty_labels)
    status: Labels = field(default_factory=_empty_labels)
    amount: Sequence[Decimal | None] = ()
    currency: Labels = field(default_factory=_empty_labels)
    owner_id: Labels = field(default_factory=_empty_labels)
    closed_at: Instants = field(default_factory=_empty_instants)
    expected_close_at: Instants = field(default_factory=_empty_instants)
    probability: npt.NDArray[np.float64] = field(default_factory=_empty_floats)


@dataclass(frozen=True)
class ContactFields(RecordColumns):
    """The columns of `Contact`, one per field."""

    RECORD = Contact
    source: Labels = field(default_factory=_empty_labels)
    id: Sequence[str] = ()
    created_at: Instants = field(default_factory=_empty_instants)
    email: Sequence[str | None] = ()
    lead_source: Labels = field(default_factory=_empty_labels)
    churned_at: Instants = field(default_factory=_empty_instants)


@dataclass(frozen=True)
class TicketFields(RecordColumns):
    """The columns of `Ticket`, one per field."""

    RECORD = Ticket
    source: Labels = field(default_factory=_empty_labels)
    id: Sequence[str] = ()
    created_at: Instants = field(default_factory=_empty_instants)
    closed_at: Instants = field(default_factory=_empty_instants)
    owner_id: Labels = field(default_factory=_empty_labels)
    followups: npt.NDArray[np.int64] = field(default_factory=_empty_integers)
    pipeline: Labels = field(default_factory=_empty_labels)


@dataclass(frozen=True)
class SubscriptionEventFields(RecordColumns):
    """The columns of `SubscriptionEvent`, one per field."""

    RECORD = SubscriptionEvent
    source: Labels = field(default_factory=_empty_labels)
    id: Sequence[str] = ()
    contact_id: Labels = field(default_factory=_empty_labels)
    list: Labels = field(default_factory=_empty_labels)
    action: Labels = field(default_factory=_empty_labels)
    at: Instants = field(default_factory=_empty_instants)


@dataclass(frozen=True)
class SurveyResponseFields(RecordColumns):
    """The columns of `SurveyResponse`, one per field."""

    RECORD = SurveyResponse
    source: Labels = field(default_factory=_empty_labels)
    id: Sequence[str] = ()
    score: npt.NDArray[np.int64] = field(default_factory=_empty_integers)
    submitted_at: Instants = field(default_factory=_empty_instants)
    contact_id: Labels = field(default_factory=_empty_labels)


# END generated by kpis.column_codegen


class DealColumns(DealFields):
    """Every field of the deals but their stage history (`VisitColumns`); `probability` is
    NaN where the deal has no probability of its own."""

    def is_status(self, status: str) -> npt.NDArray[np.bool_]:
        """Which deals have `status` (`open`, `won` or `lost`)."""
        found: npt.NDArray[np.bool_] = self.status.codes == self.status.code(status)
        return found


class VisitColumns(StageVisitFields):
    """The stage history of every deal: one position per visit, by deal, in entered order;
    `deal` is the position of the visit's deal in `DealColumns`."""

    @classmethod
    def of_deals(cls, deals: Sequence[Deal]) -> VisitColumns:
        visits = [(at, visit) for at, deal in enumerate(deals) for visit in deal.stage_history]
        return replace(
            cls.of([visit for _, visit in visits]),
            deal=np.fromiter((at for at, _ in visits), dtype=np.int32, count=len(visits)),
        )


class VersionColumns(DealVersionFields):
    """The recorded versions of every deal (`docs/kpis.md`, The pipeline's memory): one
    position per version, by deal, in `valid_from` order; `deal` is the position of the
    version's deal in `DealColumns`. `valid_to` is `MISSING` for a deal's current version;
    a deal with no versions has none recorded (its whole past is reconstructed)."""

    @classmethod
    def of_deals(cls, deals: Sequence[Deal]) -> VersionColumns:
        versions = [(at, version) for at, deal in enumerate(deals) for version in deal.versions]
        return replace(
            cls.of([version for _, version in versions]),
            deal=np.fromiter((at for at, _ in versions), dtype=np.int32, count=len(versions)),
        )


class ContactColumns(ContactFields):
    """The contacts' fields; a dataset may hold only the contacts that are customers."""


class TicketColumns(TicketFields):
    """The tickets' fields."""


class SubscriptionColumns(SubscriptionEventFields):
    """The list subscription events' fields."""


class SurveyColumns(SurveyResponseFields):
    """The survey answers' fields."""


@dataclass(frozen=True)
class Columns:
    """Every record collection of a dataset but owners and stages (which stay records)."""

    contacts: ContactColumns = field(default_factory=ContactColumns)
    deals: DealColumns = field(default_factory=DealColumns)
    visits: VisitColumns = field(default_factory=VisitColumns)
    versions: VersionColumns = field(default_factory=VersionColumns)
    tickets: TicketColumns = field(default_factory=TicketColumns)
    subscriptions: SubscriptionColumns = field(default_factory=SubscriptionColumns)
    surveys: SurveyColumns = field(default_factory=SurveyColumns)


def group_by(codes: Codes, count: int) -> Callable[[npt.NDArray[Any]], list[npt.NDArray[Any]]]:
    """Splits arrays aligned with `codes` into one array per code `0..count-1`, order kept."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(count + 1))

    def split(values: npt.NDArray[Any]) -> list[npt.NDArray[Any]]:
        ordered = values[order]
        return [ordered[bounds[c] : bounds[c + 1]] for c in range(count)]

    return split


def combine(*codes: npt.NDArray[np.signedinteger[Any]]) -> npt.NDArray[np.int64]:
    """One integer per distinct tuple of codes (each at least -1), equal where the tuples are.

    The integers are a mixed-radix number of the codes; when it could overflow, the codes
    combined so far are renumbered densely first (at most one number per record).
    """
    combined = np.zeros(len(codes[0]) if codes else 0, dtype=np.int64)
    span = 1  # every combined value so far is below it
    for column in codes:
        width = int(column.max(initial=-1)) + 2
        if span * width >= 2**62:
            distinct, dense = np.unique(combined, return_inverse=True)
            combined, span = dense.astype(np.int64), len(distinct)
        combined = combined * width + (column.astype(np.int64) + 1)
        span *= width
    return combined


def distinct_rows(*columns: Codes) -> tuple[npt.NDArray[np.intp], list[tuple[int, ...]]]:
    """Numbers the distinct rows of aligned code columns: each row's number, and those rows.

    Codes are from -1 (`NO_LABEL`) up; the distinct rows are numbered in ascending order. A
    lookup that depends on a few fields (a stage's label) is then made once per distinct row.
    """
    _, first, inverse = np.unique(combine(*columns), return_index=True, return_inverse=True)
    rows = list(zip(*(column[first].tolist() for column in columns), strict=True))
    return inverse, rows


Table = TypeVar("Table", bound=RecordColumns)


def take(table: Table, positions: npt.NDArray[np.intp]) -> Table:
    """The records of `table` at `positions`, in that order."""
    values: dict[str, Any] = {}
    at = positions.tolist()
    for column in fields(table):
        value = getattr(table, column.name)
        if isinstance(value, Labels):
            values[column.name] = Labels(value.codes[positions], value.values)
        elif isinstance(value, np.ndarray):
            values[column.name] = value[positions]
        else:
            values[column.name] = [value[i] for i in at]
    return type(table)(**values)


def concat(first: Table, second: Table) -> Table:
    """The records of `first`, then those of `second`."""
    values: dict[str, Any] = {}
    for column in fields(first):
        one: Any = getattr(first, column.name)
        two: Any = getattr(second, column.name)
        if isinstance(one, Labels):
            values[column.name] = _concat_labels(one, two)
        elif isinstance(one, np.ndarray):
            values[column.name] = np.concatenate([one, two]).astype(one.dtype)
        else:
            values[column.name] = [*one, *two]
    return type(first)(**values)


def _concat_labels(first: Labels, second: Labels) -> Labels:
    """One column of both: the second's values coded among the first's, new ones added."""
    values = list(first.values)
    code_of = {value: code for code, value in enumerate(values)}
    remap = np.empty(len(second.values) + 1, dtype=np.int32)
    for code, value in enumerate(second.values):
        remap[code] = code_of.setdefault(value, len(values))
        if remap[code] == len(values):
            values.append(value)
    remap[-1] = -1  # NO_LABEL stays unset
    codes = np.concatenate([first.codes, remap[second.codes]]).astype(np.int32)
    return Labels(codes, tuple(values))
