"""The built-in demo source: a synthetic CRM to try the whole product without an account."""

from __future__ import annotations

from connectors.demo.connector import DemoConnector

__all__ = ["DemoConnector"]
