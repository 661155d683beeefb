"""Validation throughput and latency of `choeur.formats` on the shared corpus.

    make bench            (or: .venv/bin/python bench/validate.py [--rounds N])

Measures, with every layer the engine runs (PDF container, XML, XSD, Factur-X / CEN / BR-FR
rules): invoices per second over the corpus with 1 and 2 worker processes, median and p95 per
profile, a size series (10 → 4,000 invoice lines) and the naive way (stylesheets compiled on
every call) for comparison. Targets on a 2-core machine (issue 4): ≥ 200 invoices/s with all
layers, median < 10 ms per EN 16931 invoice, growth linear in lines, 4,000 lines < 5 s.
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing
import statistics
import time
from collections import defaultdict
from pathlib import Path

from lxml import etree

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


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


def _init_worker() -> None:
    global _engine
    from choeur.formats.engine import Engine

    _engine = Engine()
    _engine.warm_up()


def _validate_chunk(blobs: list[bytes]) -> int:
    for blob in blobs:
        _engine.validate(blob)
    return len(blobs)


def throughput(blobs: list[bytes], processes: int, rounds: int) -> float:
    work = blobs * rounds
    chunks = [work[i::processes * 4] for i in range(processes * 4)]
    with multiprocessing.get_context("fork").Pool(processes, initializer=_init_worker) as pool:
        pool.map(_validate_chunk, [blobs[:2]] * processes)  # every worker warm
        started = time.perf_counter()
        done = sum(pool.map(_validate_chunk, chunks))
        elapsed = time.perf_counter() - started
    return done / elapsed


def ubl_with_lines(count: int) -> bytes:
    template = etree.parse(str(CORPUS / "cen/ubl-examples/ubl-tc434-example2.xml"))
    root = template.getroot()
    ns = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}
    lines = root.findall("cac:InvoiceLine", ns)
    for extra in lines[1:]:
        root.remove(extra)
    first = lines[0]
    parent = first.getparent()
    position = list(parent).index(first)
    for number in range(1, count):
        clone = copy.deepcopy(first)
        clone.find("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID")\
            .text = str(number + 1)
        parent.insert(position + number, clone)
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
        rate = throughput(blobs, processes, args.rounds)
        print(f"  {processes} process(es): {rate:8.1f} invoices/s")

    sample = blobs[:10]
    started = time.perf_counter()
    for blob in sample:
        Engine().validate(blob)  # a fresh engine compiles its stylesheets again: the naive way
    naive = (time.perf_counter() - started) / len(sample) * 1000
    started = time.perf_counter()
    for blob in sample:
        engine.validate(blob)
    warm = (time.perf_counter() - started) / len(sample) * 1000
    print(f"\nNaive (compile on every call): {naive:.1f} ms/invoice vs warm {warm:.2f} ms "
          f"→ {naive / warm:.0f}× faster warm")

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


if __name__ == "__main__":
    main()
