"""The Dashboard and Goals tabs: goal cards, settled periods, periods to date and trends."""

from sync.outputs.dashboard.tabs import dashboard_tab, goals_tab

__all__ = ["dashboard_tab", "goals_tab"]
