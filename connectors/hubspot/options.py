"""The account-specific mapping: which HubSpot property holds what the KPIs need.

The defaults fit a stock HubSpot account (docs/hubspot.md explains each). `source.py` reads
`[connectors.hubspot]` into these options and takes its defaults from `DEFAULTS`, so they are
written down once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HubSpotOptions:
    """Property names and switches; every property name is an internal name, not a label."""

    # deals: the stock "HubSpot campaign" property; accounts that track campaigns in a
    # property of their own name it here
    campaign_property: str = "hs_campaign"
    # contacts: stock accounts have no churn date; create a date property with this name
    churn_date_property: str = "churn_date"
    # tickets: "Number of times contacted", the count of outbound touches on the ticket
    followups_property: str = "hs_num_times_contacted"
    # deals whose `dealtype` is one of these are upsells; the stock options are
    # `newbusiness` and `existingbusiness`
    upsell_deal_types: tuple[str, ...] = ("existingbusiness",)
    lost_reason_property: str = "closed_lost_reason"
    # "Original source" on deals and contacts
    lead_source_property: str = "hs_analytics_source"
    # a deal-level probability; empty on most deals, when the KPIs use the stage's
    deal_probability_property: str = "hs_forecast_probability"
    # the currency of deals without `deal_currency_code` (single-currency accounts leave it
    # empty); None means the reporting currency
    company_currency: str | None = None
    # NPS answers are feedback submissions (Service Hub Professional)
    nps_surveys: bool = True
    # list growth needs each contact's subscription statuses (one batch call per page)
    email_subscriptions: bool = True
    # every contact's subscription statuses are read again this often (days): HubSpot does
    # not document that a status change touches the contact (connectors/hubspot/sweep.py)
    subscription_sweep_days: int = 7
    # incremental syncs re-read this much before the last run, for search indexing lag
    search_overlap_minutes: int = 15


DEFAULTS = HubSpotOptions()
