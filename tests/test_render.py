"""The render script names the tools it needs before it starts, and where to get them."""

from __future__ import annotations

import pytest

from benchmarks.render import find_tools


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ((), ("LibreOffice (soffice)", "poppler (pdftoppm)")),
        (("soffice",), ("poppler (pdftoppm)",)),
        (("pdftoppm",), ("LibreOffice (soffice)",)),
    ],
    ids=["neither", "no-poppler", "no-libreoffice"],
)
def test_a_missing_tool_stops_the_render_with_its_name_and_how_to_install_it(
    present: tuple[str, ...], missing: tuple[str, ...]
) -> None:
    """Each missing tool is named in the one message, with the packages that bring it."""
    with pytest.raises(SystemExit) as stop:
        find_tools(lambda name: f"bin/{name}" if name in present else None)
    message = str(stop.value)
    assert f"not found on the PATH: {', '.join(missing)};" in message
    assert "apt-get install libreoffice-calc poppler-utils" in message


def test_present_tools_are_used_from_where_they_are() -> None:
    """With both tools found, the render runs each from the path the lookup gave."""
    tools = find_tools(lambda name: f"bin/{name}")
    assert tools == {"soffice": "bin/soffice", "pdftoppm": "bin/pdftoppm"}
