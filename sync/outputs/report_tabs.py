"""The report tabs Forecast, Sales performance and Lost deals, and how a report's tables stack.

A report is several small tables in one tab. The first table's header is the tab's header
(frozen, so it stays in view) and the tab's name is its title; each further table follows
after a blank row, as a bold title row and a bold header row of its own. Column formats are
the first table's, and each cell of a further table carries its own format where its
column's would not fit; the tab sizes each column to what its cells show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kpis.reports.forecast import Forecast, OpenDeals
from kpis.reports.lost_deals import LostDeals
from kpis.reports.performance import SalesPerformance
from sync.outputs.workbook import Cell, CellValue, Tab, currency_format

TEXT = "text"


@dataclass(frozen=True)
class Column:
    """A column of one table: its header and semantic format."""

    name: str
    fmt: str


@dataclass(frozen=True)
class Table:
    """One table of a tab; `cell_formats`, `cell_notes` and `highlights` are keyed by
    (row, column) in it.

    `title` is shown above the table unless it comes first, where the tab's name titles it.
    """

    title: str
    columns: tuple[Column, ...]
    rows: Sequence[tuple[CellValue, ...]]
    cell_formats: Mapping[Cell, str] = field(default_factory=dict)
    cell_notes: Mapping[Cell, str] = field(default_factory=dict)
    highlights: frozenset[Cell] = frozenset()


def stack(name: str, tables: Sequence[Table], notes: tuple[str, ...] = ()) -> Tab:
    """One tab holding `tables` one under another, with `notes` under the last one."""
    first = tables[0]
    width = max(len(table.columns) for table in tables)
    formats = [c.fmt for c in first.columns] + [TEXT] * (width - len(first.columns))
    rows: list[tuple[CellValue, ...]] = []
    cell_formats: dict[Cell, str] = {}
    cell_notes: dict[Cell, str] = {}
    highlights: set[Cell] = set()
    bold: set[int] = set()
    for table in tables:
        if table is not first:
            rows.append(_padded((), width))
            for line in ((table.title,), tuple(c.name for c in table.columns)):
                cell_formats.update(
                    {(len(rows), c): TEXT for c in range(width) if formats[c] != TEXT}
                )
                bold.add(len(rows))
                rows.append(_padded(line, width))
        offset = len(rows)
        for index, values in enumerate(table.rows):
            rows.append(_padded(values, width))
            for column, spec in enumerate(table.columns):
                fmt = table.cell_formats.get((index, column), spec.fmt)
                if fmt != formats[column]:
                    cell_formats[offset + index, column] = fmt
        for (index, column), text in table.cell_notes.items():
            cell_notes[offset + index, column] = text
        highlights.update((offset + index, column) for index, column in table.highlights)
    header = tuple(c.name for c in first.columns)
    return Tab(
        name=name,
        header=header + ("",) * (width - len(header)),
        rows=tuple(rows),
        column_formats=tuple(formats),
        cell_formats=cell_formats,
        cell_notes=cell_notes,
        highlights=frozenset(highlights),
        bold_rows=frozenset(bold),
        notes=notes,
    )


def table_start(tables: Sequence[Table], index: int) -> int:
    """The tab's data row where the rows of `tables[index]` begin once `stack`ed: each
    table after the first takes a blank row, its title and its header first."""
    before = sum(len(table.rows) + 3 for table in tables[1:index])
    return len(tables[0].rows) + before + 3 if index else 0


def _padded(row: tuple[CellValue, ...], width: int) -> tuple[CellValue, ...]:
    return row + (None,) * (width - len(row))


def _columns(*specs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


def _amount_columns(currency: str) -> tuple[tuple[str, str], ...]:
    """A listed deal's currency code, its amount in that currency and its value in the
    reporting `currency`; the code comes first, so it never reads as a suffix of a figure."""
    return (
        ("currency", TEXT),
        ("amount", "number"),
        (f"value_{currency}", currency_format(currency)),
    )


def _amount_formats(currencies: Iterable[str]) -> dict[Cell, str]:
    """The format of each listed deal's amount cell (column 4): its own currency."""
    return {(index, 4): currency_format(code) for index, code in enumerate(currencies)}


def forecast_tab(report: Forecast) -> Tab:
    """Open deals by month of expected close, weighted; then the overdue deals."""
    money = currency_format(report.currency)
    months = report.months
    lines: list[tuple[str, OpenDeals]] = []
    if months:
        lines.append((f"before {months[0].period.label} (overdue)", report.earlier))
    lines.extend((month.period.label, month.open) for month in months)
    if months:
        lines.append((f"after {months[-1].period.label}", report.later))
    lines.append(("no expected date", report.undated))
    won = report.won_so_far
    table = Table(
        title="Forecast",
        columns=_columns(
            ("month", TEXT),
            ("open_deals", "integer"),
            ("amount", money),
            ("weighted", money),
            ("without_amount", "integer"),
            ("without_probability", "integer"),
            ("won_deals_so_far", "integer"),
            ("won_so_far", money),
        ),
        rows=[
            (
                text,
                line.deals,
                line.amount,
                line.weighted,
                line.without_amount,
                line.without_probability,
                won.deals if text == won.period.label else None,
                won.value if text == won.period.label else None,
            )
            for text, line in lines
        ],
    )
    overdue = Table(
        title=(
            f"Overdue: open deals expected to close before today ({report.today.isoformat()}),"
            " most overdue first"
        ),
        columns=_columns(
            ("deal_id", TEXT),
            ("name", TEXT),
            ("owner", TEXT),
            *_amount_columns(report.currency),
            ("expected_on", "date"),
            ("days_overdue", "integer"),
        ),
        rows=[
            (
                d.deal_id,
                d.name,
                d.owner,
                d.currency,
                d.amount,
                d.value,
                d.expected_on,
                d.days_overdue,
            )
            for d in report.overdue
        ],
        cell_formats=_amount_formats(d.currency for d in report.overdue),
    )
    return stack("Forecast", [table, overdue])


def sales_performance_tab(report: SalesPerformance) -> Tab:
    """Per owner, then open pipeline by stage, deals by status, by currency and by pipeline."""
    money = currency_format(report.currency)
    label = report.period.label
    owners = Table(
        title="Sales performance",
        columns=_columns(
            ("period", TEXT),
            ("owner", TEXT),
            ("won_deals", "integer"),
            ("won_value", money),
            ("average_won_value", money),
            ("open_deals", "integer"),
            ("open_value", money),
        ),
        rows=[
            (
                label,
                o.owner,
                o.won_deals,
                o.won_value,
                o.average_won_value,
                o.open_deals,
                o.open_value,
            )
            for o in report.owners
        ],
    )
    stages = Table(
        title=f"Open pipeline by stage at the end of {label}",
        columns=_columns(("stage", TEXT), ("open_deals", "integer"), ("open_value", money)),
        rows=[(s.stage, s.open_deals, s.open_value) for s in report.stages],
    )
    statuses = Table(
        title=f"Deals in the pipeline during {label}, by status at its end",
        columns=_columns(("status", TEXT), ("deals", "integer"), ("value", money)),
        rows=[(s.status, s.deals, s.value) for s in report.statuses],
    )
    currencies = Table(
        title=f"Deals in the pipeline during {label}, by currency",
        columns=_columns(
            ("currency", TEXT),
            ("deals", "integer"),
            ("amount", "number"),
            (f"value_{report.currency}", money),
        ),
        rows=[(c.currency, c.deals, c.amount, c.value) for c in report.currencies],
        cell_formats={
            (index, 2): currency_format(c.currency) for index, c in enumerate(report.currencies)
        },
    )
    pipelines = Table(
        title=f"Deals in the pipeline during {label}, by pipeline",
        columns=_columns(
            ("pipeline", TEXT),
            ("deals", "integer"),
            ("won_deals", "integer"),
            ("lost_deals", "integer"),
            ("open_deals", "integer"),
            ("won_value", money),
            ("open_value", money),
        ),
        rows=[
            (
                p.pipeline,
                p.deals,
                p.won_deals,
                p.lost_deals,
                p.open_deals,
                p.won_value,
                p.open_value,
            )
            for p in report.pipelines
        ],
    )
    return stack("Sales performance", [owners, stages, statuses, currencies, pipelines])


def lost_deals_tab(report: LostDeals) -> Tab:
    """Lost deals by reason, most frequent first; then every deal lost in the period."""
    money = currency_format(report.currency)
    label = report.period.label
    reasons = Table(
        title="Lost deals",
        columns=_columns(
            ("period", TEXT),
            ("reason", TEXT),
            ("deals", "integer"),
            ("share", "percent"),
            ("value", money),
        ),
        rows=[(label, r.reason, r.deals, r.share, r.value) for r in report.reasons],
    )
    deals = Table(
        title=f"Deals lost in {label}",
        columns=_columns(
            ("deal_id", TEXT),
            ("name", TEXT),
            ("owner", TEXT),
            *_amount_columns(report.currency),
            ("reason", TEXT),
            ("closed_on", "date"),
        ),
        rows=[
            (d.deal_id, d.name, d.owner, d.currency, d.amount, d.value, d.reason, d.closed_on)
            for d in report.deals
        ],
        cell_formats=_amount_formats(d.currency for d in report.deals),
    )
    return stack("Lost deals", [reasons, deals])
