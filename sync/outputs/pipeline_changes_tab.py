"""The Pipeline changes tab: the seven pipeline figures by month and by ISO week, per
pipeline and in all, and the waterfall of the last complete month (`docs/sheets.md`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from kpis.memory.waterfall import PipelineChanges, Step
from kpis.segments import ALL_SEGMENT
from sync.outputs.report_tabs import TEXT, Column, Table, stack, table_start
from sync.outputs.workbook import (
    CellValue,
    Tab,
    WaterfallChart,
    currency_format,
    whole_currency_format,
)

NAME = "Pipeline changes"
ALL_PIPELINES = "all pipelines"
# the table's columns, in the order of the identity: start + created - won - lost +
# value_change = end; pushed stands apart, a part of start that slipped past the period
COLUMNS: tuple[tuple[str, Step], ...] = (
    ("start", "open_start"),
    ("created", "created"),
    ("won", "won"),
    ("lost", "lost"),
    ("value_change", "value_change"),
    ("end", "open_end"),
    ("pushed", "pushed"),
)
# the waterfall's bars: the rises before the falls, so the running total never dips below
# zero (after the value change it is end + won + lost, after won end + lost)
BARS: tuple[tuple[str, Step, int], ...] = (
    ("start", "open_start", 0),
    ("created", "created", 1),
    ("value change", "value_change", 1),
    ("won", "won", -1),
    ("lost", "lost", -1),
    ("end", "open_end", 0),
)


def pipeline_changes_tab(
    months: Sequence[PipelineChanges],
    weeks: Sequence[PipelineChanges],
    *,
    currency: str,
    now: datetime,
) -> Tab:
    """The month table, the ISO week table and the waterfall of the last complete month.

    `months` and `weeks` come oldest first; the last of each may still be running at `now`.
    """
    money = currency_format(currency)
    tables = [
        _table("Pipeline changes", months, money),
        _table("Pipeline changes by ISO week", weeks, money),
    ]
    charts: tuple[WaterfallChart, ...] = ()
    complete = [changes for changes in months if changes.period.end <= now]
    if complete:
        last = complete[-1]
        tables.append(_waterfall(last, money))
        first = table_start(tables, len(tables) - 1)
        charts = (
            WaterfallChart(
                title=f"Pipeline changes in {last.period.label} ({currency})",
                categories=0,
                change=1,
                base=2,
                totals=3,
                rises=4,
                falls=5,
                first_row=first,
                last_row=first + len(BARS) - 1,
                # millions with cents crowd the axis; the table has the cents
                y_format=whole_currency_format(currency),
            ),
        )
    notes = (
        f"Amounts in {currency}, each converted at the fixed rates. In every row start + "
        "created - won - lost + value_change = end, to the cent; pushed is the part of start "
        "expected to close in the period that is now expected after it (docs/kpis.md).",
        "A reopened deal is created again; a step with no deal shows 0. The running month and "
        f"week are measured up to {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC.",
        "The chart's columns base, total, rise and fall draw its bars for spreadsheet "
        "programs without a waterfall chart: each bar stands on an invisible base.",
    )
    return replace(stack(NAME, tables, notes), charts=charts)


def _table(title: str, periods: Sequence[PipelineChanges], money: str) -> Table:
    rows: list[tuple[CellValue, ...]] = []
    for changes in periods:
        for segment in changes.segments():
            name = ALL_PIPELINES if segment == ALL_SEGMENT else segment[1]
            rows.append(
                (
                    changes.period.label,
                    name,
                    *(_amount(changes, step, segment) for _, step in COLUMNS),
                )
            )
    columns = (
        Column("period", TEXT),
        Column("pipeline", TEXT),
        *(Column(name, money) for name, _ in COLUMNS),
    )
    return Table(title=title, columns=columns, rows=rows)


def _amount(
    changes: PipelineChanges, step: Step, segment: tuple[str, str] = ALL_SEGMENT
) -> Decimal:
    value = changes.figure(step, segment).value
    return Decimal("0.00") if value is None else value


def _waterfall(changes: PipelineChanges, money: str) -> Table:
    """The bars of the waterfall: each step's signed change, and the same as stacked bars."""
    rows: list[tuple[CellValue, ...]] = []
    running = Decimal(0)
    for name, step, sign in BARS:
        amount = _amount(changes, step)
        if sign == 0:
            rows.append((name, amount, None, amount, None, None))
            running = amount
            continue
        change = sign * amount
        after = running + change
        rise, fall = (change, None) if change >= 0 else (None, -change)
        rows.append((name, change, min(running, after), None, rise, fall))
        running = after
    return Table(
        title=f"Waterfall of {changes.period.label}, {ALL_PIPELINES}",
        columns=(
            Column("step", TEXT),
            Column("change", money),
            Column("base", money),
            Column("total", money),
            Column("rise", money),
            Column("fall", money),
        ),
        rows=rows,
    )
