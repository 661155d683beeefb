"""The help centre's full-text index, each database with its own engine (never `icontains`).

- SQLite: `aide_article_fts`, an FTS5 table with external content (the rows stay in
  `aide_article`, the index only) kept in step by three triggers, tokenizer
  `unicode61 remove_diacritics 2`; queried with one prefix per term (aide/text.py), ranked
  by bm25 with the title weighing ten times the text.
- PostgreSQL: generated columns `search_fr` (configuration `french`) and `search_en`
  (`english`), title weight A and text weight B, each with a GIN index; queried with
  `websearch_to_tsquery` (quotes, `or`, `-` understood; any other input is words, never a
  syntax error) and ranked by `ts_rank`, the text's weight a tenth of the title's.

Installed by migration 0001 (`install`), both outside the model's state.
"""

from __future__ import annotations

from django.db import connections

FTS_TABLE = "aide_article_fts"
COLUMNS = ("search_title_fr", "search_body_fr", "search_title_en", "search_body_en")
_cols = ", ".join(COLUMNS)
_new = ", ".join(f"new.{c}" for c in COLUMNS)
_old = ", ".join(f"old.{c}" for c in COLUMNS)

SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_cols}, "
    "content='aide_article', content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
SQLITE_TRIGGERS = {
    "aide_article_fts_ai": (
        f"CREATE TRIGGER IF NOT EXISTS aide_article_fts_ai AFTER INSERT ON aide_article BEGIN "  # noqa: S608 (constant names, values bound)
        f"INSERT INTO {FTS_TABLE}(rowid, {_cols}) VALUES (new.id, {_new}); END"),
    "aide_article_fts_ad": (
        f"CREATE TRIGGER IF NOT EXISTS aide_article_fts_ad AFTER DELETE ON aide_article BEGIN "  # noqa: S608 (constant names, values bound)
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_cols}) "
        f"VALUES ('delete', old.id, {_old}); END"),
    "aide_article_fts_au": (
        f"CREATE TRIGGER IF NOT EXISTS aide_article_fts_au AFTER UPDATE ON aide_article BEGIN "  # noqa: S608 (constant names, values bound)
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_cols}) "
        f"VALUES ('delete', old.id, {_old}); "
        f"INSERT INTO {FTS_TABLE}(rowid, {_cols}) VALUES (new.id, {_new}); END"),
}
SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"  # noqa: S608 (constant names, values bound)
SQLITE_DROP = [*(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
               f"DROP TABLE IF EXISTS {FTS_TABLE}"]

# ts_rank's weights, in the order {D, C, B, A}: a word of the title counts ten times one of
# the text, so that a title that says it comes first.
PG_WEIGHTS = "{0.0, 0.0, 0.1, 1.0}"
PG_CONFIGS = {"fr": "french", "en": "english"}
POSTGRESQL = [
    statement
    for language, config in PG_CONFIGS.items()
    for statement in (
        f"ALTER TABLE aide_article ADD COLUMN search_{language} tsvector GENERATED ALWAYS AS ("
        f"setweight(to_tsvector('{config}'::regconfig, search_title_{language}), 'A') || "
        f"setweight(to_tsvector('{config}'::regconfig, search_body_{language}), 'B')) STORED",
        f"CREATE INDEX aide_article_search_{language} ON aide_article "
        f"USING GIN (search_{language})",
    )
]
POSTGRESQL_DROP = [
    statement
    for language in PG_CONFIGS
    for statement in (f"DROP INDEX IF EXISTS aide_article_search_{language}",
                      f"ALTER TABLE aide_article DROP COLUMN IF EXISTS search_{language}")
]


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = [SQLITE_TABLE, *SQLITE_TRIGGERS.values(), SQLITE_REBUILD]
    elif vendor == "postgresql":
        statements = POSTGRESQL
    else:
        raise NotImplementedError(f"no full-text index for {vendor}")
    for statement in statements:
        schema_editor.execute(statement)


def uninstall(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for statement in SQLITE_DROP if vendor == "sqlite" else POSTGRESQL_DROP:
        schema_editor.execute(statement)


def ensure_after_migrate(sender, using="default", **kwargs) -> None:
    """SQLite: put back the triggers a table rebuild dropped, and re-index in that case."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE name IN (%s, %s, %s, %s)",
                       ["aide_article", *SQLITE_TRIGGERS])
        present = {name for _, name in cursor.fetchall()}
        if "aide_article" not in present or present >= {"aide_article", *SQLITE_TRIGGERS}:
            return
        for statement in (SQLITE_TABLE, *SQLITE_TRIGGERS.values(), SQLITE_REBUILD):
            cursor.execute(statement)
