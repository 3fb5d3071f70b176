"""A tab built block by block: rows with their cells' formats, styles, notes and bold rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sync.outputs.workbook import Cell, CellValue, Chart, Sparkline, Tab


@dataclass
class Grid:
    """Rows of a tab under construction and what each cell shows beyond its value."""

    width: int
    rows: list[tuple[CellValue, ...]] = field(default_factory=list)
    formats: dict[Cell, str] = field(default_factory=dict)
    styles: dict[Cell, str] = field(default_factory=dict)
    notes: dict[Cell, str] = field(default_factory=dict)
    bold: set[int] = field(default_factory=set)
    sparklines: list[Sparkline] = field(default_factory=list)

    def add(self, cells: Sequence[CellValue], formats: Sequence[str], *, bold: bool = False) -> int:
        """Append a row (padded to the width) with each cell's format; return its index."""
        index = len(self.rows)
        self.rows.append((*cells, *([None] * (self.width - len(cells)))))
        self.formats.update(((index, column), fmt) for column, fmt in enumerate(formats))
        if bold:
            self.bold.add(index)
        return index

    def title(self, text: str, header: Sequence[str]) -> int:
        """A blank row, a bold title and a bold header: the start of a block; the title's row."""
        self.add([], [])
        index = self.add([text], ["text"], bold=True)
        self.add(header, ["text"] * len(header), bold=True)
        return index

    def tab(
        self,
        name: str,
        header: Sequence[str],
        *,
        notes: tuple[str, ...],
        charts: tuple[Chart, ...] = (),
        autofilter: bool = False,
    ) -> Tab:
        """The tab; cells without a format of their own are text."""
        return Tab(
            name=name,
            header=(*header, *([""] * (self.width - len(header)))),
            rows=tuple(self.rows),
            column_formats=("text",) * self.width,
            cell_formats=self.formats,
            cell_styles=self.styles,
            cell_notes=self.notes,
            bold_rows=frozenset(self.bold),
            notes=notes,
            charts=charts,
            sparklines=tuple(self.sparklines),
            autofilter=autofilter,
        )
