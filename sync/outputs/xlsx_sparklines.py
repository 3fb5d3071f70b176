"""Sparklines in the .xlsx: Excel's own (x14) sparkline groups in the worksheet's extLst.

Why these and not a small chart per KPI: an x14 sparkline lives in its cell, as Sheets'
`SPARKLINE` does, so both outputs show the same line in the same place; Excel 2010 and later
and LibreOffice (7.4 on) draw it, and a reader that does not know it skips the extension
and shows an empty cell. Nine small charts would float over the grid and move apart from
their rows. openpyxl neither writes nor keeps these (it drops them on load, warning "Sparkline
Group extension is not supported"), so they are added to the saved file's worksheet XML,
and every write adds them again to the tabs it replaces.

Schema: [MS-XLSX] 2.6.69 CT_SparklineGroups, extension URI
{05C60535-1F16-4fd2-B633-F4F36F0B64E0}.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from sync.outputs.workbook import Sparkline, Tab

EXTENSION_URI = "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
LINE_COLOUR = "FF376092"
# Excel writes every colour of a group; readers fall back on their own for missing ones
_COLOURS = (
    ("colorSeries", LINE_COLOUR),
    ("colorNegative", "FFD00000"),
    ("colorAxis", "FF000000"),
    ("colorMarkers", LINE_COLOUR),
    ("colorFirst", LINE_COLOUR),
    ("colorLast", LINE_COLOUR),
    ("colorHigh", LINE_COLOUR),
    ("colorLow", LINE_COLOUR),
)


def add_sparklines(path: Path, tabs: Mapping[str, Tab]) -> None:
    """Add each tab's sparklines to its worksheet part (a zip entry) of the file at `path`."""
    wanted = {part: tab for part, tab in tabs.items() if tab.sparklines}
    if not wanted:
        return
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        parts = {info.filename: archive.read(info) for info in infos}
    for part, tab in wanted.items():
        parts[part] = with_sparklines(parts[part], tab)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in infos:
            archive.writestr(info, parts[info.filename])
    path.write_bytes(buffer.getvalue())


def with_sparklines(xml: bytes, tab: Tab) -> bytes:
    """The worksheet XML with the tab's sparklines as its last child, where extLst goes."""
    text = xml.decode("utf-8")
    if "<extLst" in text:
        raise ValueError(f"tab {tab.name!r}: the worksheet already has an extension list")
    head, closing, tail = text.rpartition("</worksheet>")
    if not closing:
        raise ValueError(f"tab {tab.name!r}: the worksheet XML has no end")
    return f"{head}{extension(tab)}{closing}{tail}".encode()


def extension(tab: Tab) -> str:
    """The `<extLst>` holding one sparkline group with every sparkline of the tab."""
    colours = "".join(f'<x14:{name} rgb="{rgb}"/>' for name, rgb in _COLOURS)
    lines = "".join(_sparkline(tab.name, sparkline) for sparkline in tab.sparklines)
    return (
        f'<extLst><ext xmlns:x14="{X14}" uri="{EXTENSION_URI}">'
        f'<x14:sparklineGroups xmlns:xm="{XM}">'
        f'<x14:sparklineGroup displayEmptyCellsAs="gap">{colours}'
        f"<x14:sparklines>{lines}</x14:sparklines>"
        "</x14:sparklineGroup></x14:sparklineGroups></ext></extLst>"
    )


def _sparkline(name: str, sparkline: Sparkline) -> str:
    letters = get_column_letter(sparkline.column + 1)
    quoted = name.replace("'", "''")
    # data row r is sheet row r + 2: the header is row 1
    source = f"'{quoted}'!{letters}{sparkline.first_row + 2}:{letters}{sparkline.last_row + 2}"
    row, column = sparkline.cell
    cell = f"{get_column_letter(column + 1)}{row + 2}"
    return (
        f"<x14:sparkline><xm:f>{escape(source)}</xm:f><xm:sqref>{cell}</xm:sqref></x14:sparkline>"
    )
