"""The configuration `crmkpi init` writes, from the one example shipped with the package.

`starter_config.toml` documents every key and runs the built-in demo offline; it is the
repository's `config.example.toml`. For a user's own CRM, `crmkpi init` writes it with the
demo's section switched off, so that no demo record ever mixes into real KPIs; `--demo`
writes it as it is.
"""

from __future__ import annotations

from importlib import resources

TEMPLATE = "starter_config.toml"
DEMO_SECTION = "[connectors.demo]"


def example_config() -> str:
    """The packaged example configuration, the demo switched on."""
    return resources.files("sync").joinpath(TEMPLATE).read_text(encoding="utf-8")


def starter_config(*, demo: bool = False) -> str:
    """What `crmkpi init` writes: the example, with the demo section commented out unless
    `demo`. The section runs from its header to the first blank line."""
    text = example_config()
    if demo:
        return text
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == DEMO_SECTION), None)
    if start is None:
        raise ValueError(f"{TEMPLATE} has no {DEMO_SECTION} section")
    end = start
    while end < len(lines) and lines[end].strip():
        if not lines[end].startswith("#"):
            lines[end] = f"# {lines[end]}"
        end += 1
    return "".join(lines)
