"""The annuaire's searches along indexes on PostgreSQL (bench/annuaire.py: 1,000,000 structures,
100,000 of them public).

Every search of public structures — the portal's /annuaire/ (annuaire.search), the Structures
API's `rechercher` and the referential's `structures/recherche` and `siren/recherche`
(permissions.directory: public structures, or the caller's own, an OR PostgreSQL answers with a
BitmapOr of these indexes and the primary key) — filters on:

- the identifier's start (`identifier__startswith`: identifier::text LIKE '123%'), the
  postcode's start (idem): a B-tree with varchar_pattern_ops, which serves LIKE 'x%' whatever
  the database's collation (the default operator class only does in the C locale);
- a part of the name or of the town (`__icontains`, which Django writes
  UPPER(col::text) LIKE UPPER('%x%')): a trigram GIN on that very expression, which also serves
  the referential's `ville =` (`__iexact`: UPPER(city::text) = UPPER('x'));
- the referential's `identifiant =` and `codePostal =` (`__iexact`): a B-tree on
  UPPER(col::text).

All partial, WHERE kind = 'PUBLIQUE': private structures are never searched (but one's own, by
primary key), so the indexes hold a tenth of the rows and cost nothing when companies register.

PostgreSQL only (house rule 8, as invoicing/0002 and 0004): pg_trgm is a trusted extension the
database's owner may create; SQLite gets nothing (its searches scan, as before). Built online
(choeur.core.migrations_ops: CREATE INDEX CONCURRENTLY IF NOT EXISTS, a build left invalid by
a failure is dropped and made again): the structure table keeps taking writes meanwhile, so the
migration is not atomic; each statement is idempotent, a run stopped half-way is run again.
"""

from django.db import migrations

from choeur.core.migrations_ops import AddPostgreSQLIndex

TABLE = "organisations_structure"
PUBLIC = "WHERE kind = 'PUBLIQUE'"


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("organisations", "0006_public_uuids"),
    ]

    operations = [
        AddPostgreSQLIndex(
            name="org_public_name_trgm", table=TABLE, extensions=["pg_trgm"],
            definition=f"USING gin ((UPPER(company_name::text)) gin_trgm_ops) {PUBLIC}"),
        AddPostgreSQLIndex(
            name="org_public_city_trgm", table=TABLE, extensions=["pg_trgm"],
            definition=f"USING gin ((UPPER(city::text)) gin_trgm_ops) {PUBLIC}"),
        AddPostgreSQLIndex(
            name="org_public_identifier_prefix", table=TABLE,
            definition=f"(identifier varchar_pattern_ops) {PUBLIC}"),
        AddPostgreSQLIndex(
            name="org_public_postcode_prefix", table=TABLE,
            definition=f"(postcode varchar_pattern_ops) {PUBLIC}"),
        AddPostgreSQLIndex(
            name="org_public_identifier_upper", table=TABLE,
            definition=f"((UPPER(identifier::text))) {PUBLIC}"),
        AddPostgreSQLIndex(
            name="org_public_postcode_upper", table=TABLE,
            definition=f"((UPPER(postcode::text))) {PUBLIC}"),
    ]
