"""The example notebook runs from top to bottom."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT

pytestmark = pytest.mark.notebook


@pytest.mark.slow
@pytest.mark.long
def test_quickstart_notebook_executes(tmp_path):
    nb = nbformat.read(ROOT / "examples" / "quickstart.ipynb", as_version=4)
    # run from a folder laid out as the repository's (examples/ beside portfolios/), so the report lands there
    (tmp_path / "examples").mkdir()
    (tmp_path / "portfolios").symlink_to(ROOT / "portfolios")
    resources = {"metadata": {"path": str(tmp_path / "examples")}}
    NotebookClient(nb, timeout=600, kernel_name="python3", resources=resources).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert " min, " in text and "reports/report.html" in text
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs if o.output_type == "execute_result")
    assert "Clark International Airport" in html and "leaflet" in html.lower()
    # a score shows as tables; the portfolio and comparison maps show inline
    assert "Marginal contribution" in html and "<table" in html
    assert "lec_full: what it changes" in html and "leaflet.sync" in html
    assert (tmp_path / "examples" / "reports" / "report.html").is_file()
