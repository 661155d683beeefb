import json
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
VALID = CORPUS / "cen/cii-examples/CII_example1.xml"
INVALID = CORPUS / "zugferd/XML-Rechnung/UBL/EN16931_ElektronischeAdresse.ubl.xml"


def validate(*args):
    return subprocess.run([sys.executable, "-m", "choeur", "validate", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_exit_status_and_json_lines(tmp_path):
    ok = validate("--json", VALID)
    assert ok.returncode == 0
    [line] = ok.stdout.splitlines()
    report = json.loads(line)
    assert report["valid"] is True and report["profile"] == "en16931"
    assert {"file", "valid", "profile", "findings"} <= set(report)

    mixed = validate("--json", VALID, INVALID)
    assert mixed.returncode == 1
    reports = [json.loads(line) for line in mixed.stdout.splitlines()]
    assert [r["valid"] for r in reports] == [True, False]
    [finding] = [f for f in reports[1]["findings"] if f["rule"] == "BR-CL-25"]
    assert {"rule", "severity", "bt", "location", "message_fr", "message_en"} <= set(finding)
    assert finding["location"].startswith("/Invoice[1]/AccountingCustomerParty[1]")

    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<Invoice")
    assert validate(VALID, INVALID, broken).returncode == 2


def test_human_report_in_french_by_default():
    result = validate(INVALID)
    assert "invalide" in result.stdout and "BR-CL-25" in result.stdout
    assert "invalid" in validate("--lang", "en", INVALID).stdout


def test_a_batch_is_validated_member_by_member(tmp_path):
    import zipfile

    batch = tmp_path / "lot.zip"
    with zipfile.ZipFile(batch, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(VALID, "a.xml")
        archive.write(INVALID, "dossier/b.xml")
        archive.writestr("../evil.xml", "<x/>")
    result = validate("--json", batch)
    assert result.returncode == 1
    reports = {r["file"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert reports[f"{batch}!a.xml"]["valid"] is True
    assert reports[f"{batch}!dossier/b.xml"]["valid"] is False
    assert [f["rule"] for f in reports[str(batch)]["findings"]] == ["ARCHIVE_UNSAFE_MEMBER"]
