"""The account's reference data, read once per pull when first needed: lists, campaigns,
custom field definitions, and custom field values where they could not be side-loaded.

These collections are small (or, for the values, read only as a fallback) and have no
"updated since" filter, so each pull reads them whole: a constant few calls.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.activecampaign.client import AccountClient
from connectors.activecampaign.normalize import custom_values
from connectors.activecampaign.settings import FieldMap
from connectors.activecampaign.values import BadValue, ref, text
from connectors.base import title_key

logger = logging.getLogger(__name__)

# side-loaded deal values have been seen with either spelling; listed ones use camelCase
# (https://developers.activecampaign.com/reference/list-all-custom-fielddata-field-values)
DEAL_VALUE_KEYS = {
    "owner_keys": ("dealId", "deal_id", "deal"),
    "field_keys": ("customFieldId", "custom_field_id", "dealCustomFieldMetumId"),
    "value_keys": ("fieldValue", "custom_field_text_value", "value"),
}
# https://developers.activecampaign.com/reference/list-all-custom-field-values
CONTACT_VALUE_KEYS = {
    "owner_keys": ("contact",),
    "field_keys": ("field",),
    "value_keys": ("value",),
}


@dataclass
class Catalog:
    """Reference data of one account for one pull."""

    client: AccountClient
    fields: FieldMap
    stage_pipelines: dict[str, str] = field(default_factory=dict)
    first_stages: set[str] = field(default_factory=set)
    _lists: dict[str, str] | None = field(default=None, repr=False)
    _campaigns: dict[str, str] | None = field(default=None, repr=False)
    _deal_fields: dict[str, str] | None = field(default=None, repr=False)
    _contact_fields: dict[str, str] | None = field(default=None, repr=False)
    _deal_values: dict[str, dict[str, str]] | None = field(default=None, repr=False)
    _contact_values: dict[str, dict[str, str]] | None = field(default=None, repr=False)

    def list_names(self) -> Mapping[str, str]:
        if self._lists is None:
            self._lists = self._names("/lists", "lists", "name")
        return self._lists

    def campaign_names(self) -> Mapping[str, str]:
        if self._campaigns is None:
            self._campaigns = self._names("/campaigns", "campaigns", "name")
        return self._campaigns

    def deal_fields(self) -> Mapping[str, str]:
        """Role by field id of the mapped deal custom fields found in the account."""
        if self._deal_fields is None:
            wanted = self.fields.deal_fields
            found = self._names("/dealCustomFieldMeta", "dealCustomFieldMeta", "fieldLabel")
            self._deal_fields = _roles(wanted, found, "deal")
        return self._deal_fields

    def contact_fields(self) -> Mapping[str, str]:
        """Role by field id of the mapped contact custom fields found in the account."""
        if self._contact_fields is None:
            wanted = self.fields.contact_fields
            found = self._names("/fields", "fields", "title") if wanted else {}
            self._contact_fields = _roles(wanted, found, "contact")
        return self._contact_fields

    def all_deal_values(self) -> Mapping[str, dict[str, str]]:
        """Every mapped deal field value, read whole: the fallback when a deals page came back
        without its side-loaded `dealCustomFieldData`."""
        if self._deal_values is None:
            wanted = self.deal_fields()
            data: list[dict[str, Any]] = []
            for page in self.client.offset_pages("/dealCustomFieldData", "dealCustomFieldData"):
                data.extend(page.records)
            self._deal_values = custom_values(data, wanted, **DEAL_VALUE_KEYS)
        return self._deal_values

    def all_contact_values(self) -> Mapping[str, dict[str, str]]:
        """Every mapped contact field value, one field at a time (`filters[fieldid]`): the
        fallback when a contacts page came back without its side-loaded `fieldValues`."""
        if self._contact_values is None:
            wanted = self.contact_fields()
            data: list[dict[str, Any]] = []
            for field_id in wanted:
                params = {"filters[fieldid]": field_id}
                for page in self.client.offset_pages("/fieldValues", "fieldValues", params):
                    data.extend(page.records)
            self._contact_values = custom_values(data, wanted, **CONTACT_VALUE_KEYS)
        return self._contact_values

    def missing_titles(self) -> list[str]:
        """The mapped custom field titles the account has no field for, to report up front."""
        checks = (
            (self.fields.deal_fields, "/dealCustomFieldMeta", "dealCustomFieldMeta", "fieldLabel"),
            (self.fields.contact_fields, "/fields", "fields", "title"),
        )
        missing: list[str] = []
        for wanted, path, key, name_key in checks:
            if not wanted:
                continue
            titles = {title_key(name) for name in self._names(path, key, name_key).values()}
            missing.extend(title for title in wanted.values() if title_key(title) not in titles)
        return missing

    def _names(self, path: str, key: str, name_key: str) -> dict[str, str]:
        names: dict[str, str] = {}
        for page in self.client.offset_pages(path, key):
            for record in page.records:
                try:
                    record_id, name = ref(record, "id"), text(record, name_key)
                except BadValue:
                    continue
                if record_id is not None and name is not None:
                    names[record_id] = name
        return names


def _roles(wanted: Mapping[str, str], found: Mapping[str, str], kind: str) -> dict[str, str]:
    ids_by_title = {title_key(title): field_id for field_id, title in found.items()}
    roles: dict[str, str] = {}
    for role, title in wanted.items():
        field_id = ids_by_title.get(title_key(title))
        if field_id is None:
            known = ", ".join(sorted(found.values())) or "none"
            logger.warning(
                "ActiveCampaign: no %s custom field titled %r, so %s stays empty "
                "(the account's %s fields: %s)",
                kind,
                title,
                role.replace("_", " "),
                kind,
                known,
            )
            continue
        roles[field_id] = role
    return roles
