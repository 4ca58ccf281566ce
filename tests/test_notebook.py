"""The example notebook runs from top to bottom."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT

pytestmark = pytest.mark.notebook


def test_quickstart_notebook_executes():
    nb = nbformat.read(ROOT / "examples" / "quickstart.ipynb", as_version=4)
    # run from the notebook's own folder, as a user would
    resources = {"metadata": {"path": str(ROOT / "examples")}}
    NotebookClient(nb, timeout=300, kernel_name="python3", resources=resources).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert " min, " in text
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs if o.output_type == "execute_result")
    assert "Clark International Airport" in html and "leaflet" in html.lower()
