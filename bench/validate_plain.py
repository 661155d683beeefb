"""The honest baseline for `choeur validate`: a plain script, no Choeur, that runs the same
official artefacts on the same files — each file parsed by lxml and checked against its XSD,
then parsed by Saxon and run through the shipped Schematron stylesheets (unmodified), every
schema and stylesheet loaded once per process, on first use.

    python bench/validate_plain.py PLAN.tsv

PLAN.tsv: one line per file, tab-separated: the file, its XSD, then the stylesheets to run
(bench/validate.py writes it from the layers Choeur ran, so both do the same work; the
routing itself is given to this script for free). Prints the number of files and of failed
assertions; `bench/validate.py` times it as a child process, start-up included.
"""

from __future__ import annotations

import sys


def main(plan: str) -> None:
    from lxml import etree
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    schemas: dict[str, etree.XMLSchema] = {}
    executables: dict[str, object] = {}
    files = asserts = 0
    with open(plan, encoding="utf-8") as lines:
        for line in lines:
            path, xsd, *stylesheets = line.rstrip("\n").split("\t")
            files += 1
            if xsd:
                if xsd not in schemas:
                    schemas[xsd] = etree.XMLSchema(etree.parse(xsd))
                schemas[xsd].validate(etree.parse(path))
            node = processor.parse_xml(xml_file_name=path)
            for stylesheet in stylesheets:
                if stylesheet not in executables:
                    executables[stylesheet] = processor.new_xslt30_processor() \
                        .compile_stylesheet(stylesheet_file=stylesheet)
                svrl = executables[stylesheet].transform_to_string(xdm_node=node)
                asserts += svrl.count("<svrl:failed-assert")
    print(f"{files} files, {asserts} failed assertions")


if __name__ == "__main__":
    main(sys.argv[1])
