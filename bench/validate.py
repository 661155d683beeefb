"""Validation throughput and latency of `choeur.formats` on the shared corpus.

    make bench            (or: .venv/bin/python bench/validate.py [--rounds N])

Measures, with every layer the engine runs (PDF container, XML, XSD, Factur-X / CEN / BR-FR
rules): invoices per second over the corpus with 1 and 2 worker processes, median and p95 per
profile, a size series (10 → 4,000 invoice lines), and `choeur validate` against an honest
baseline: a plain script (bench/validate_plain.py) running the shipped stylesheets and XSD,
each compiled once per process, on the same XML files — a short batch (start-up included)
and a long one, CPU time of the child processes. Targets on a 2-core machine (issue 4):
≥ 200 invoices/s with all layers, median < 10 ms per EN 16931 invoice, growth linear in lines,
4,000 lines < 5 s.
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def corpus_files() -> list[Path]:
    files = []
    for line in (CORPUS / "expected.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            files.append(CORPUS / line.split("\t")[0])
    return files


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


_engine = None
_blobs: list[bytes] = []


def _init_worker(paths: list[str], ready) -> None:
    """A worker as Choeur runs one: its own engine, warmed up before it takes work. The
    barrier makes every worker start at the same moment, so that no warm-up is timed."""
    global _engine, _blobs
    from choeur.formats.engine import Engine

    _blobs = [Path(path).read_bytes() for path in paths]
    _engine = Engine()
    _engine.warm_up()
    ready.wait()


def _validate_chunk(indices: list[int]) -> tuple[int, float, float]:
    started = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process
    for index in indices:
        _engine.validate(_blobs[index])
    return len(indices), started, time.monotonic()


def throughput(files: list[Path], processes: int, rounds: int) -> float:
    """Invoices per second over the corpus with `processes` workers. Spawned, not forked:
    the parent's Saxon must not be copied into the children; each worker reads the files
    itself, so that no invoice travels through a pipe."""
    work = list(range(len(files))) * rounds
    chunks = [work[i::processes * 8] for i in range(processes * 8)]
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes)
    with context.Pool(processes, initializer=_init_worker,
                      initargs=([str(path) for path in files], ready)) as pool:
        results = pool.map(_validate_chunk, chunks, chunksize=1)
    done = sum(count for count, _, _ in results)
    elapsed = max(end for _, _, end in results) - min(start for _, start, _ in results)
    return done / elapsed


CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def ubl_with_lines(count: int) -> bytes:
    """A valid UBL invoice of `count` lines: the CEN example 2 with its first line (VAT S 25 %)
    repeated, and its VAT breakdown and totals recomputed (its document allowance and charge,
    100.00 each, cancel out; 1,000.00 was prepaid)."""
    root = etree.parse(str(CORPUS / "cen/ubl-examples/ubl-tc434-example2.xml")).getroot()
    ns = {"cac": CAC, "cbc": CBC}
    lines = root.findall("cac:InvoiceLine", ns)
    for extra in lines[1:]:
        root.remove(extra)
    first = lines[0]
    position = list(root).index(first)
    for number in range(1, count):
        clone = copy.deepcopy(first)
        clone.find("cbc:ID", ns).text = str(number + 1)
        root.insert(position + number, clone)
    line_amount = Decimal(first.find("cbc:LineExtensionAmount", ns).text)
    net = line_amount * count
    vat = (net * Decimal("0.25")).quantize(Decimal("0.01"))
    tax_total = root.find("cac:TaxTotal", ns)
    subtotals = tax_total.findall("cac:TaxSubtotal", ns)
    for extra in subtotals[1:]:
        tax_total.remove(extra)
    tax_total.find("cbc:TaxAmount", ns).text = f"{vat}"
    subtotals[0].find("cbc:TaxableAmount", ns).text = f"{net}"
    subtotals[0].find("cbc:TaxAmount", ns).text = f"{vat}"
    totals = root.find("cac:LegalMonetaryTotal", ns)
    prepaid = Decimal(totals.find("cbc:PrepaidAmount", ns).text)
    for name, value in (("LineExtensionAmount", net), ("TaxExclusiveAmount", net),
                        ("TaxInclusiveAmount", net + vat),
                        ("PayableAmount", net + vat - prepaid)):
        totals.find(f"cbc:{name}", ns).text = f"{value}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from choeur.formats.engine import Engine

    files = corpus_files()
    blobs = [path.read_bytes() for path in files]
    print(f"Corpus: {len(files)} files ({sum(map(len, blobs)) / 1e6:.1f} MB), "
          f"{args.rounds} rounds\n")

    engine = Engine()
    started = time.perf_counter()
    engine.warm_up()
    print(f"Warm-up (compile every stylesheet, load every XSD): "
          f"{time.perf_counter() - started:.2f} s")

    per_profile: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.rounds):
        for blob in blobs:
            t0 = time.perf_counter()
            report = engine.validate(blob)
            per_profile[f"{report.syntax or '?'}/{report.profile or '?'}"].append(
                (time.perf_counter() - t0) * 1000)
    print("\nLatency per invoice, warm (ms):")
    print(f"  {'profile':<58} {'n':>5} {'median':>8} {'p95':>8}")
    for profile, values in sorted(per_profile.items()):
        print(f"  {profile[:58]:<58} {len(values):>5} {statistics.median(values):>8.2f} "
              f"{p95(values):>8.2f}")
    everything = [v for values in per_profile.values() for v in values]
    print(f"  {'all':<58} {len(everything):>5} {statistics.median(everything):>8.2f} "
          f"{p95(everything):>8.2f}")

    print("\nThroughput over the corpus, all layers:")
    for processes in (1, 2):
        rate = throughput(files, processes, args.rounds)
        print(f"  {processes} process(es): {rate:8.1f} invoices/s")

    versus_plain_script(engine, files, args.rounds)

    print("\nSize series (UBL, CEN rules; lines → time):")
    previous = None
    for count in (10, 100, 1000, 4000):
        blob = ubl_with_lines(count)
        engine.validate(blob)
        t0 = time.perf_counter()
        report = engine.validate(blob)
        elapsed = time.perf_counter() - t0
        ratio = f"  ×{elapsed / previous:.1f} for ×10 lines" if previous and count != 4000 else ""
        print(f"  {count:>5} lines  {len(blob) / 1e6:6.2f} MB  {elapsed * 1000:9.1f} ms  "
              f"valid={report.valid}{ratio}")
        previous = elapsed


def _plan_line(engine, path: Path) -> str | None:
    """The work Choeur does on an XML file, for the plain script: the file, its XSD, the
    official stylesheets that ran (None for a file Choeur routes nowhere, or a PDF)."""
    from choeur.formats import rules

    report = engine.validate(path.read_bytes())
    if report.container != "xml" or report.profile not in rules.PROFILES:
        return None
    rulesets = [rules.facturx_rules(profile) for profile in rules.PROFILES]
    rulesets += [rules.CEN_UBL, rules.BR_FR_UBL, rules.BR_FR_CII]
    stylesheets = {ruleset.name: str(ruleset.xslt) for ruleset in rulesets}
    ran = [stylesheets[layer] for layer in report.layers_run if layer in stylesheets]
    if not ran:
        return None
    if report.syntax == "UBL":
        xsd = (rules.UBL_CREDIT_NOTE_XSD if report.document_type == "credit_note"
               else rules.UBL_INVOICE_XSD)
    else:
        xsd = rules.facturx_xsd(report.profile)
    return "\t".join([str(path), str(xsd), *ran])


def _child_cpu(command: list[str], times: int = 3) -> tuple[float, float]:
    """The least CPU time (user + system, every thread) and wall time of a command over
    `times` runs, start-up included."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    best_cpu = best_wall = float("inf")
    for _ in range(times):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL,  # noqa: S603
                              stderr=subprocess.PIPE, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{command[:3]} failed: {done.stderr.decode()[-500:]}")
        best_cpu = min(best_cpu, after.ru_utime - before.ru_utime
                       + after.ru_stime - before.ru_stime)
        best_wall = min(best_wall, wall)
    return best_cpu, best_wall


def versus_plain_script(engine, files: list[Path], rounds: int) -> None:
    """`choeur validate` vs a plain saxonche script running the shipped stylesheets (compiled
    once per process) on the same XML files: a short batch, where start-up and compilation
    dominate, and a long one, where the per-file work does."""
    plan = [line for line in (_plan_line(engine, path) for path in files) if line]
    short = plan[::max(1, len(plan) // 5)][:5]
    batches = (("short", short), ("long", plan * rounds))
    choeur = [sys.executable, "-c", "import sys; from choeur.cli import main; "
              "sys.exit(main(sys.argv[1:]))", "validate", "--json"]
    plain = [sys.executable, str(ROOT / "bench" / "validate_plain.py")]
    print("\n`choeur validate` vs a plain script running the shipped stylesheets, each compiled "
          "once per process\n(child processes, start-up included; best of 3):")
    print(f"  {'batch':<7} {'files':>6} {'rule sets':>9} {'choeur CPU':>11} {'plain CPU':>10} "
          f"{'ratio':>6} {'choeur wall':>12} {'plain wall':>11}")
    for name, batch in batches:
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", encoding="utf-8") as handle:
            handle.write("\n".join(batch) + "\n")
            handle.flush()
            plain_cpu, plain_wall = _child_cpu([*plain, handle.name])
        paths = [line.split("\t")[0] for line in batch]
        choeur_cpu, choeur_wall = _child_cpu([*choeur, *paths])
        rule_sets = len({s for line in batch for s in line.split("\t")[2:]})
        print(f"  {name:<7} {len(batch):>6} {rule_sets:>9} {choeur_cpu:>10.2f}s "
              f"{plain_cpu:>9.2f}s {choeur_cpu / plain_cpu:>5.2f}× {choeur_wall:>11.2f}s "
              f"{plain_wall:>10.2f}s")


if __name__ == "__main__":
    main()
