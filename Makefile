# Choeur: the two commands a newcomer needs are `make run` and `make test`.
# Commands below that run from a subfolder must still use the project's data directory.
# A qualification instance (CHOEUR_ENVIRONMENT=qualification) has its own data and port.
export CHOEUR_DATA_DIR ?= $(CURDIR)/var$(if $(filter qualification,$(CHOEUR_ENVIRONMENT)),-qualification)
.PHONY: run test bench bench-10m lint messages clean

run:  ## serve the portal on http://127.0.0.1:8000 (SQLite in ./var), with a worker
	./scripts/run.sh

test:  ## lint, then the whole suite on SQLite and on a throwaway PostgreSQL 15 cluster
	./scripts/test.sh

bench:  ## performance figures (bench/*.py), on this machine
	./scripts/venv.sh bench
	.venv/bin/python bench/validate.py
	.venv/bin/python bench/portal.py
	.venv/bin/python bench/api.py
	.venv/bin/python bench/auth.py
	.venv/bin/python bench/annuaire.py
	.venv/bin/python bench/matelas.py
	.venv/bin/python bench/help.py
	.venv/bin/python bench/durability.py
	.venv/bin/python bench/reporting.py
	.venv/bin/python bench/archives.py
	.venv/bin/python bench/load.py

bench-10m:  ## 10 M invoices generated, then portal, API, dashboards and sizes (long: see bench/ten_million.py)
	./scripts/venv.sh
	.venv/bin/python bench/ten_million.py $(if $(KEEP),--keep $(KEEP))

lint:
	./scripts/venv.sh test
	.venv/bin/ruff check src tests bench

messages:  ## refresh and compile the English catalogue (the source strings are French)
	./scripts/venv.sh
	cd src/choeur && ../../.venv/bin/choeur manage makemessages -l en --no-location --no-obsolete
	cd src/choeur && ../../.venv/bin/choeur manage compilemessages -l en

clean:  ## remove the virtualenv and test artefacts (keeps ./var, your data)
	rm -rf .venv test-artifacts
