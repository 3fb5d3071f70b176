"""What a publish writes: the tidy rows, the tabs built from them, the `.xlsx` and the Sheet.

`publication` turns the KPIs, goals and reports into a `Workbook` of tabs (`workbook`, built
by `kpi_tabs`, the `dashboard` package, `report_tabs`, `pipeline_changes_tab`,
`before_after_tab` and `inputs`, on rows laid out by `tab_grid` and columns sized by
`widths`); `xlsx` writes it to a local file and the `sheets` package to a Google Sheet;
`tidy` is the one form of a result row.
"""

from sync.outputs.inputs import INPUTS, merge_spend, read_spend
from sync.outputs.publication import prepare, workbook
from sync.outputs.tidy import KPI_HEADER, NOTE, tidy_record, to_json_value
from sync.outputs.xlsx import WorkbookError, open_workbook, read_tab, write_xlsx

__all__ = [
    "INPUTS",
    "KPI_HEADER",
    "NOTE",
    "WorkbookError",
    "merge_spend",
    "open_workbook",
    "prepare",
    "read_spend",
    "read_tab",
    "tidy_record",
    "to_json_value",
    "workbook",
    "write_xlsx",
]
