"""Google Sheets output: the same `Workbook` as the .xlsx, published in a handful of requests.

`client` signs in with a service-account key and sends every request through the shared
`ApiClient`; `layout`, `formatting` and `charts` turn the model into batch requests;
`limits` keeps the spreadsheet under Google's cell limit; `writer` publishes and reads the
team's Inputs tab back, and `inputs` turns it into monthly spend.
"""

from __future__ import annotations

from sync.outputs.sheets.client import (
    ServiceAccount,
    SheetsApi,
    SheetsError,
    connect,
    key_file,
    load_service_account,
    open_sheet,
)
from sync.outputs.sheets.inputs import sheet_spend
from sync.outputs.sheets.writer import SheetsReport, publish, read_inputs

__all__ = [
    "ServiceAccount",
    "SheetsApi",
    "SheetsError",
    "SheetsReport",
    "connect",
    "key_file",
    "load_service_account",
    "open_sheet",
    "publish",
    "read_inputs",
    "sheet_spend",
]
