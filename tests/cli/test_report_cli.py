"""`labctl report` and `labctl export` as a user types them."""

from __future__ import annotations

import json

from labctl.cli import main


def test_report_png_and_pdf_and_export(tmp_path, capsys):
    assert main(["run", "sclc", "--sim", "--set", "points=101", "--out", str(tmp_path),
                 "--json"]) == 0
    run = json.loads(capsys.readouterr().out)["file"]
    assert main(["report", run, "-o", str(tmp_path / "sclc.png")]) == 0
    assert (tmp_path / "sclc.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["report", run, "-o", str(tmp_path / "sclc.pdf")]) == 0
    assert (tmp_path / "sclc.pdf").read_bytes()[:4] == b"%PDF"
    assert main(["export", run, "-o", str(tmp_path / "jv.csv")]) == 0
    assert (tmp_path / "jv.csv").read_text().startswith("#Procedure: <sclc>")
    capsys.readouterr()
    assert main(["report", run, "-o", str(tmp_path / "sclc.jpg")]) == 2
    assert ".png, .pdf or .svg" in capsys.readouterr().err
    assert main(["export", run, "-o", str(tmp_path / "x.csv"), "--stream", "nope"]) == 2
