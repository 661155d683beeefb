"""`choeur validate FILE...`: the report of each file, human or JSON (one object per line).

Exit status: 0 when every file is valid, 1 when any is invalid, 2 when any is unreadable.
All files of one call share one warm engine (stylesheets compiled once).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from choeur.formats import detect
from choeur.formats.engine import default_engine
from choeur.formats.findings import Finding, Layer, Report, Severity
from choeur.formats.messages import GENERIC

MAX_FILE_BYTES = 100 * 1024 * 1024


def _reports(path: Path) -> list[tuple[str, Report]]:
    data = path.read_bytes()
    if detect.kind(data) in ("zip", "tar"):
        from choeur.formats import archives

        batch = archives.iter_archive(data)
        results = []
        for finding in batch.findings:
            report = Report()
            report.add(finding)
            results.append((f"{path}", report))
        for name, member in batch.members:
            results.append((f"{path}!{name}", default_engine().validate(member, name)))
        return results
    return [(str(path), default_engine().validate(data, path.name))]


def _as_json(name: str, report: Report, lang: str) -> str:
    return json.dumps({
        "file": name,
        "valid": report.valid,
        "readable": report.readable,
        "syntax": report.syntax,
        "profile": report.profile,
        "container": report.container,
        "layers": report.layers_run,
        "findings": [
            {"rule": f.rule, "severity": str(f.severity), "layer": str(f.layer), "bt": f.bt,
             "location": f.location, "message_fr": f.message_fr, "message_en": f.message_en,
             "hint_fr": f.hint_fr, "hint_en": f.hint_en, "rule_text": f.rule_text,
             "source": f.source}
            for f in report.findings
        ],
    }, ensure_ascii=False)


def _as_text(name: str, report: Report, lang: str) -> str:
    verdict = ("valide" if lang == "fr" else "valid") if report.valid else (
        "invalide" if lang == "fr" else "invalid")
    if not report.readable:
        verdict = "illisible" if lang == "fr" else "unreadable"
    profile = "/".join(part for part in (report.syntax, report.profile) if part) or "?"
    lines = [f"{'OK ' if report.valid else 'KO '} {name} — {profile} — {verdict}"]
    for f in report.findings:
        message = f.message_fr if lang == "fr" else f.message_en
        hint = f.hint_fr if lang == "fr" else f.hint_en
        where = f" @ {f.location}" if f.location else ""
        bt = f" ({f.bt})" if f.bt else ""
        lines.append(f"    [{f.severity}] {f.rule}{bt}{where}")
        lines.append(f"        {message}")
        if f.rule_text and f.rule_text not in message and f.rule == "UNNAMED_RULE":
            lines.append(f"        ({'règle' if lang == 'fr' else 'rule'} : {f.rule_text})")
        if hint:
            lines.append(f"        → {hint}")
    return "\n".join(lines)


def _refused(rule: str, name: str) -> Report:
    """A path that gives no file to validate: its coded finding, in words, never Python's
    exception text (a path given on the command line is the user's, the errno text is not)."""
    described = GENERIC[rule]
    report = Report()
    report.add(Finding(rule=rule, severity=Severity.FATAL, layer=Layer.INPUT,
                       message_fr=described.fr, message_en=described.en, location=name,
                       hint_fr=described.hint_fr, hint_en=described.hint_en))
    return report


def _read_path(file: str) -> list[tuple[str, Report]]:
    path = Path(file)
    try:
        if not path.exists():
            return [(file, _refused("INPUT_FILE_NOT_FOUND", file))]
        if not path.is_file():
            return [(file, _refused("INPUT_NOT_A_FILE", file))]
        if path.stat().st_size > MAX_FILE_BYTES:
            return [(file, _refused("INPUT_FILE_TOO_LARGE", file))]
        return _reports(path)
    except FileNotFoundError:  # removed between the checks and the read
        return [(file, _refused("INPUT_FILE_NOT_FOUND", file))]
    except IsADirectoryError:
        return [(file, _refused("INPUT_NOT_A_FILE", file))]
    except OSError:  # permission, I/O error, name too long…
        return [(file, _refused("INPUT_UNREADABLE_FILE", file))]


def run(files: list[str], as_json: bool = False, lang: str = "fr") -> int:
    status = 0
    render = _as_json if as_json else _as_text
    for file in files:
        for name, report in _read_path(file):
            print(render(name, report, lang), flush=True)
            if not report.readable:
                status = 2
            elif not report.valid and status == 0:
                status = 1
    return status


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="choeur validate",
                                     description="Validate invoice files.")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    parser.add_argument("--lang", choices=("fr", "en"), default="fr")
    args = parser.parse_args(argv)
    return run(args.files, args.json, args.lang)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
