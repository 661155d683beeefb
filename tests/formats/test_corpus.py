"""Every file of the shared corpus gets the verdict and the failed rule ids that
`../shared/corpus/expected.tsv` records (computed with the same official artefacts)."""

from pathlib import Path

import pytest

from choeur.formats import Layer, default_engine

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
RULE_LAYERS = {Layer.XSD, Layer.RULES, Layer.PROFILE}
ALIASES = {"UNNAMED_RULE": "(unnamed)"}


def manifest():
    lines = (CORPUS / "expected.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        path, verdict, profile, *rest = line.split("\t")
        failed = {r for r in (rest[0] if rest else "").split(",") if r}
        yield pytest.param(path, verdict, profile, failed, id=path)


def rule_ids(report) -> set[str]:
    return {ALIASES.get(f.rule, f.rule) for f in report.findings
            if f.blocking and f.layer in RULE_LAYERS}


@pytest.mark.parametrize(("path", "verdict", "profile", "failed"), list(manifest()))
def test_expected_verdicts(path, verdict, profile, failed):
    report = default_engine().validate((CORPUS / path).read_bytes(), path)
    assert f"{report.syntax}/{report.profile}" == profile
    assert rule_ids(report) == failed
    rules_valid = not rule_ids(report)
    assert rules_valid == (verdict == "valid")
    for finding in report.findings:  # every finding speaks both languages
        assert finding.message_fr and finding.message_en, finding
