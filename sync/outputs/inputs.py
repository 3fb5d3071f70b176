"""The Inputs tab: monthly acquisition spend the team types into the spreadsheet.

The tab is created with its header and a line explaining the format when the spreadsheet
lacks it, and never written again: its rows are the team's. Every run reads it back. A cell
that cannot be understood is reported with its address (`Inputs!B4: 'abc' is not an
amount`) and its row left out; every other row is used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from openpyxl.utils import get_column_letter

from kpis.settings import MonthlySpend
from sync.outputs.workbook import Tab

INPUTS = "Inputs"
INPUTS_HEADER = ("month", "amount", "currency", "note")
INPUTS_NOTE = (
    "One row per month of acquisition spend: month as 2026-10, amount as a number "
    "(no currency sign), currency as an ISO code such as USD (blank: the reporting "
    "currency), note free text. Rows of one month and currency add up. This tab wins over "
    "[[spend]] in the config for the months it lists."
)

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def inputs_tab() -> Tab:
    """The Inputs tab as created in a spreadsheet that lacks it: header and explanation."""
    return Tab(
        name=INPUTS,
        header=INPUTS_HEADER,
        rows=(),
        column_formats=("text", "number", "text", "text"),
        notes=(INPUTS_NOTE,),
        create_only=True,
    )


# the explanation as it reads in a tab, broken into lines, and as older versions wrote it
_EXPLANATION = frozenset({INPUTS_NOTE, *inputs_tab().fit.note_lines})


def read_spend(rows: list[list[object]]) -> tuple[list[MonthlySpend], list[str]]:
    """The monthly spend in the tab's rows (header first), by month, and the problems found.

    Columns are found by their header name, in any order. Blank rows and the explanation
    line are skipped. Rows of one month in one currency add up; a row of a month already
    listed in another currency is a problem, since amounts in two currencies cannot be one
    month's spend.
    """
    if not rows:
        return [], []
    columns = {_text(name).casefold(): index for index, name in enumerate(rows[0]) if name}
    missing = [name for name in ("month", "amount") if name not in columns]
    if missing:
        return [], [f"{INPUTS}!A1: the header has no {' or '.join(missing)} column"]
    totals: dict[date, MonthlySpend] = {}
    problems: list[str] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: row[i] if i < len(row) else None for name, i in columns.items()}
        if _skipped(cells):
            continue
        entry = _entry(cells, columns, number, problems)
        if entry is None:
            continue
        known = totals.get(entry.month)
        if known is None:
            totals[entry.month] = entry
        elif known.currency != entry.currency:
            problems.append(
                f"{_address(columns, 'currency', number)}: {entry.month:%Y-%m} is already listed "
                f"in {known.currency or 'the reporting currency'}; give each month one currency"
            )
        else:
            total = known.amount + entry.amount
            totals[entry.month] = MonthlySpend(entry.month, total, known.currency)
    return [totals[month] for month in sorted(totals)], problems


def merge_spend(
    config: Sequence[MonthlySpend], inputs: Sequence[MonthlySpend]
) -> list[MonthlySpend]:
    """The config's `[[spend]]` with the Inputs tab's months replacing the same months, by month.

    The tab wins: it is what the team edits month by month, while the config is written once.
    """
    merged = {entry.month: entry for entry in config}
    merged.update((entry.month, entry) for entry in inputs)
    return [merged[month] for month in sorted(merged)]


def _skipped(cells: dict[str, object]) -> bool:
    """A row with neither month nor amount (blank, a comment) or a line of the explanation."""
    month = _text(cells["month"])
    return _text(cells["amount"]) == "" and (month == "" or month in _EXPLANATION)


def _entry(
    cells: dict[str, object], columns: dict[str, int], number: int, problems: list[str]
) -> MonthlySpend | None:
    """The row's spend; None (with each reason in `problems`) when a cell is wrong."""
    reasons: dict[str, str] = {}
    month = _month(cells["month"])
    if month is None:
        reasons["month"] = "is not a month like 2026-10"
    amount = _amount(cells["amount"])
    if amount is None:
        reasons["amount"] = "is not an amount"
    elif amount < 0:
        reasons["amount"] = "is negative; spend is 0 or more"
    currency = _text(cells.get("currency")).upper() or None
    if currency is not None and not _CURRENCY.fullmatch(currency):
        reasons["currency"] = "is not a currency code like USD"
    for name, reason in reasons.items():
        problems.append(f"{_address(columns, name, number)}: {_shown(cells[name])} {reason}")
    if month is None or amount is None or reasons:
        return None
    return MonthlySpend(month, amount, currency)


def _month(value: object) -> date | None:
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    text = _text(value)
    if _DAY.fullmatch(text):
        text = text[:7]
    match = _MONTH.fullmatch(text)
    if match is None or not 1 <= int(match[2]) <= 12:
        return None
    return date(int(match[1]), int(match[2]), 1)


def _amount(value: object) -> Decimal | None:
    """The cell as a finite number (negative ones too, to say so); None when it is not one."""
    if isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value) if isinstance(value, int | float) else _text(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _shown(value: object) -> str:
    return "an empty cell" if _text(value) == "" else repr(value)


def _address(columns: dict[str, int], name: str, number: int) -> str:
    return f"{INPUTS}!{get_column_letter(columns[name] + 1)}{number}"
