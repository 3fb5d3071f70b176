"""Charts and conditional-format rules, reconciled with what the tab already holds.

`addChart` and `addConditionalFormatRule` add one more on every call, so a rerun must not
just send them again (https://developers.google.com/sheets/api/samples/charts,
https://developers.google.com/sheets/api/samples/conditional-formatting). Charts keep ids
derived from their tab and place: one that exists gets its spec and position updated, a
missing one is added, and any other chart on the tab is deleted. Rules are updated by index,
surplus ones deleted from the last, missing ones added.
"""

from __future__ import annotations

from collections.abc import Iterator

from sync.outputs.sheets.cells import Json, grid_range, rgb, row_spans
from sync.outputs.sheets.layout import TabPlan
from sync.outputs.workbook import (
    CHART_ROWS,
    STATUS_STYLE_PREFIX,
    STYLE_COLOURS,
    WATERFALL_COLOURS,
    AnyChart,
    Chart,
    Tab,
    WaterfallChart,
)

ROW_PIXELS = 21  # Sheets' default row height
CHART_WIDTH = 720
CHART_HEIGHT = (CHART_ROWS - 1) * ROW_PIXELS


def chart_spec(chart: AnyChart, sheet_id: int) -> Json:
    """The `ChartSpec` of a model's chart: a waterfall, or a line chart."""
    if isinstance(chart, WaterfallChart):
        return waterfall_spec(chart, sheet_id)
    return line_spec(chart, sheet_id)


def line_spec(chart: Chart, sheet_id: int) -> Json:
    """A line chart of the model's chart; the row above its data names the series."""
    rows = (chart.first_row, chart.last_row + 2)  # the naming row, then the data rows

    def source(column: int) -> Json:
        return {"sourceRange": {"sources": [grid_range(sheet_id, rows, (column, column + 1))]}}

    return {
        "title": chart.title,
        "basicChart": {
            "chartType": "LINE",
            "legendPosition": "BOTTOM_LEGEND",
            "headerCount": 1,
            # straight segments between the points: a smoothed line invents values between
            # them, below zero after a month of no revenue (BasicChartSpec.lineSmoothing)
            "lineSmoothing": False,
            # the axis labels take the number format of the source cells (BasicChartAxis has
            # no format of its own), which the Dashboard gives without cents; Sheets slants
            # crowded x labels itself and has no setting for it
            "axis": [{"position": "BOTTOM_AXIS"}, {"position": "LEFT_AXIS"}],
            "domains": [{"domain": source(chart.categories)}],
            "series": [
                {"series": source(column), "targetAxis": "LEFT_AXIS"} for column in chart.series
            ],
        },
    }


def waterfall_spec(chart: WaterfallChart, sheet_id: int) -> Json:
    """A `waterfallChart` of the change column: the first value is a total, and so is the
    last (a custom subtotal whose data is the subtotal), with no computed total after it
    (WaterfallChartSpec, WaterfallChartSeries and WaterfallChartCustomSubtotal in
    https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/charts)."""
    rows = (chart.first_row + 1, chart.last_row + 2)  # the data rows only: no header count

    def data(column: int) -> Json:
        return {"sourceRange": {"sources": [grid_range(sheet_id, rows, (column, column + 1))]}}

    def style(kind: str, label: str) -> Json:
        return {"label": label, "colorStyle": {"rgbColor": rgb(WATERFALL_COLOURS[kind])}}

    return {
        "title": chart.title,
        "waterfallChart": {
            "domain": {"data": data(chart.categories)},
            "series": [
                {
                    "data": data(chart.change),
                    "customSubtotals": [
                        {
                            "subtotalIndex": chart.last_row - chart.first_row,
                            "dataIsSubtotal": True,
                        }
                    ],
                    "hideTrailingSubtotal": True,
                    "positiveColumnsStyle": style("rise", "increase"),
                    "negativeColumnsStyle": style("fall", "decrease"),
                    "subtotalColumnsStyle": style("total", "total"),
                }
            ],
            "firstValueIsTotal": True,
        },
    }


def chart_position(tab: Tab, index: int, sheet_id: int) -> Json:
    row, column = tab.chart_anchor(index)
    return {
        "overlayPosition": {
            "anchorCell": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": column},
            "offsetXPixels": 0,
            "offsetYPixels": 0,
            "widthPixels": CHART_WIDTH,
            "heightPixels": CHART_HEIGHT,
        }
    }


def chart_requests(plan: TabPlan) -> Iterator[Json]:
    """Delete the tab's charts that are not ours, update ours in place, add the missing."""
    if not plan.write:
        return
    existing = set() if plan.existing is None else set(plan.existing.chart_ids)
    for stale in sorted(existing - set(plan.chart_ids)):
        yield {"deleteEmbeddedObject": {"objectId": stale}}
    for index, (chart, chart_id) in enumerate(zip(plan.tab.charts, plan.chart_ids, strict=True)):
        spec = chart_spec(chart, plan.sheet_id)
        position = chart_position(plan.tab, index, plan.sheet_id)
        if chart_id in existing:
            yield {"updateChartSpec": {"chartId": chart_id, "spec": spec}}
            yield {
                "updateEmbeddedObjectPosition": {
                    "objectId": chart_id,
                    "newPosition": position,
                    "fields": "anchorCell,offsetXPixels,offsetYPixels,widthPixels,heightPixels",
                }
            }
        else:
            yield {"addChart": {"chart": {"chartId": chart_id, "spec": spec, "position": position}}}


def status_rules(tab: Tab, sheet_id: int) -> list[Json]:
    """One rule per status style used: its cells turn its colour while they read the status."""
    rules = []
    used = {style for style in tab.cell_styles.values() if style.startswith(STATUS_STYLE_PREFIX)}
    for style in sorted(used):
        cells = [cell for cell, used in tab.cell_styles.items() if used == style]
        rules.append(
            {
                "ranges": [
                    grid_range(sheet_id, (first + 1, last + 1), (column, column + 1))
                    for column, first, last in row_spans((c, r) for r, c in cells)
                ],
                "booleanRule": {
                    "condition": {
                        "type": "TEXT_EQ",
                        "values": [{"userEnteredValue": style.removeprefix(STATUS_STYLE_PREFIX)}],
                    },
                    "format": {"backgroundColor": rgb(STYLE_COLOURS[style])},
                },
            }
        )
    return rules


def rule_requests(plan: TabPlan) -> Iterator[Json]:
    """Make the tab's conditional-format rules exactly the model's, in place where possible."""
    if not plan.write:
        return
    wanted = status_rules(plan.tab, plan.sheet_id)
    held = 0 if plan.existing is None else plan.existing.rules
    sheet = plan.sheet_id
    for index, rule in enumerate(wanted[:held]):
        yield {"updateConditionalFormatRule": {"sheetId": sheet, "index": index, "rule": rule}}
    for index in range(held - 1, len(wanted) - 1, -1):
        yield {"deleteConditionalFormatRule": {"sheetId": sheet, "index": index}}
    for index in range(held, len(wanted)):
        yield {"addConditionalFormatRule": {"index": index, "rule": wanted[index]}}
