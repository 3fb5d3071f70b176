"""The Before vs after tab: each all-segment KPI over equal windows around go-live, then
the windows themselves and how much of the after window has passed."""

from __future__ import annotations

from kpis.catalog import KPIS
from kpis.reports.before_after import BeforeAfter, Elapsed, window_days
from sync.outputs.report_tabs import TEXT, Column, Table, stack
from sync.outputs.workbook import Cell, CellValue, Tab, unit_format, unit_text


def before_after_tab(report: BeforeAfter) -> Tab:
    """Each all-segment KPI before and after go-live, with the change; then the two windows.

    The after column's header says how much of its window has passed while it runs.
    """
    rows: list[tuple[CellValue, ...]] = []
    formats: dict[Cell, str] = {}
    notes: dict[Cell, str] = {}
    for index, line in enumerate(report.changes):
        after = line.after
        rows.append(
            (
                KPIS[line.kpi].label,
                unit_text(line.unit, report.currency),
                line.before.value,
                None if after is None else after.value,
                line.change,
                line.relative_change,
                line.before.n,
                None if after is None else after.n,
            )
        )
        values = (line.before.value, None if after is None else after.value, line.change)
        fmt = unit_format(line.unit, report.currency, *values)
        formats.update({(index, 2): fmt, (index, 3): fmt})
        formats[index, 4] = "points" if line.unit == "ratio" else fmt
        if line.before.note:
            notes[index, 2] = line.before.note
        if after is not None and after.note:
            notes[index, 3] = after.note
    elapsed = report.elapsed
    after_header = (
        "after" if elapsed is None or elapsed.complete else f"after, {_passed(report, elapsed)}"
    )
    table = Table(
        title="Before vs after",
        columns=(
            Column("kpi", TEXT),
            Column("unit", TEXT),
            Column("before", "number"),
            Column(after_header, "number"),
            Column("change", "number"),
            Column("relative_change", "percent"),
            Column("before_n", "integer"),
            Column("after_n", "integer"),
        ),
        rows=rows,
        cell_formats=formats,
        cell_notes=notes,
    )
    return stack("Before vs after", [table, _windows_table(report)], _window_notes(report))


def _passed(report: BeforeAfter, elapsed: Elapsed) -> str:
    return f"{elapsed.months:.1f} of {report.months} months"


def _windows_table(report: BeforeAfter) -> Table:
    """The two windows, as long as each other, and how much of each has passed."""
    before, window, elapsed = report.before, report.after_window, report.elapsed
    months = report.months
    whole = window_days(before)
    return Table(
        title=f"Windows around go-live on {report.go_live.isoformat()}",
        columns=(
            Column("window", TEXT),
            Column("first_day", "date"),
            Column("last_day", "date"),
            Column("months", "integer"),
            Column("months_passed", "number"),
            Column("days", "days"),
            Column("days_passed", "days"),
        ),
        rows=[
            ("before", before.first_day, before.last_day, months, months, whole, whole),
            (
                "after",
                window.first_day,
                window.last_day,
                months,
                None if elapsed is None else elapsed.months,
                window_days(window),
                None if elapsed is None else elapsed.days,
            ),
        ],
    )


def _window_notes(report: BeforeAfter) -> tuple[str, ...]:
    elapsed = report.elapsed
    if elapsed is None:
        return ("Go-live is still ahead: no after window yet.",)
    if elapsed.complete:
        return ()
    return (
        f"The after window is still running ({_passed(report, elapsed)}): its totals, such as"
        f" net new revenue, grow until {report.after_window.last_day.isoformat()}.",
    )
