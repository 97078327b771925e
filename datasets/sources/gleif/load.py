"""GLEIF golden-copy CSVs: LEI-CDF entities (Level 1) and RR-CDF relationships (Level 2, who consolidates
whom). They land in their own tables; the load then feeds the registry, in the same transaction:

- an active entity registered or headquartered in Canada becomes a firm (unless its LEI already names one),
  with its LEI and legal name;
- an active IS_DIRECTLY_CONSOLIDATED_BY relationship whose parent is a registry firm becomes an ownership
  edge (accounting control, so no percentage); a child not yet in the registry joins it. An
  IS_ULTIMATELY_CONSOLIDATED_BY relationship is used only where no direct one exists for the child.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pycountry

from datasets.ingest import Kind, SourceMeta
from datasets.sql import check_required, text, upper_text

META = SourceMeta.from_yaml(Path(__file__).with_name("source.yml"))
RECORD_URL = "https://search.gleif.org/#/record/"

ENTITIES = Kind(
    name="gleif_lei_cdf",
    description="GLEIF LEI-CDF golden copy (LEI, Entity.LegalName, Entity.LegalAddress.Country, ...)",
    table="gleif_entities",
    key="lei",
    required=(("LEI",), ("Entity.LegalName",), ("Entity.LegalAddress.Country",), ("Entity.EntityStatus",)),
    known_columns=(
        "LEI",
        "Entity.LegalName",
        "Entity.LegalJurisdiction",
        "Entity.LegalAddress.Country",
        "Entity.HeadquartersAddress.Country",
        "Entity.EntityStatus",
        "Registration.RegistrationStatus",
    ),
    fields=(
        ("lei", upper_text("LEI")),
        ("legal_name", text("Entity.LegalName")),
        ("legal_jurisdiction", upper_text("Entity.LegalJurisdiction")),
        ("legal_country", upper_text("Entity.LegalAddress.Country")),
        ("hq_country", upper_text("Entity.HeadquartersAddress.Country")),
        ("entity_status", upper_text("Entity.EntityStatus")),
        ("registration_status", upper_text("Registration.RegistrationStatus")),
    ),
    checks=(
        check_required("LEI", "key LEI"),
        (f"NOT regexp_matches({upper_text('LEI')}, '^[A-Z0-9]{{18}}[0-9]{{2}}$')", "'not an LEI: ' || \"LEI\""),
        check_required("Entity.LegalName"),
    ),
    meta=META,
    source_kind_column=False,
    after_load=lambda con, source_id: feed_entities(con, source_id),
)

RELATIONSHIPS = Kind(
    name="gleif_rr_cdf",
    description="GLEIF RR-CDF relationships (Relationship.StartNode.NodeID, Relationship.EndNode.NodeID, ...)",
    table="gleif_relationships",
    key="relationship_key",
    required=(
        ("Relationship.StartNode.NodeID",),
        ("Relationship.EndNode.NodeID",),
        ("Relationship.RelationshipType",),
        ("Relationship.RelationshipStatus",),
    ),
    known_columns=(
        "Relationship.StartNode.NodeID",
        "Relationship.StartNode.NodeIDType",
        "Relationship.EndNode.NodeID",
        "Relationship.EndNode.NodeIDType",
        "Relationship.RelationshipType",
        "Relationship.RelationshipStatus",
        "Registration.RegistrationStatus",
    ),
    fields=(
        (
            "relationship_key",
            f"{upper_text('Relationship.StartNode.NodeID')} || '|' || {upper_text('Relationship.EndNode.NodeID')}"
            f" || '|' || {upper_text('Relationship.RelationshipType')}",
        ),
        ("child_lei", upper_text("Relationship.StartNode.NodeID")),
        ("parent_lei", upper_text("Relationship.EndNode.NodeID")),
        ("relationship_type", upper_text("Relationship.RelationshipType")),
        ("relationship_status", upper_text("Relationship.RelationshipStatus")),
    ),
    checks=(
        check_required("Relationship.StartNode.NodeID", "child LEI (StartNode)"),
        check_required("Relationship.EndNode.NodeID", "parent LEI (EndNode)"),
        check_required("Relationship.RelationshipType"),
    ),
    meta=META,
    source_kind_column=False,
    after_load=lambda con, source_id: feed_relationships(con, source_id),
)


def _country_table(con: duckdb.DuckDBPyConnection) -> None:
    """ISO 3166 two-letter codes (GLEIF) to the three-letter codes the registry uses."""
    pairs = [(c.alpha_2, c.alpha_3) for c in pycountry.countries]
    con.execute("CREATE OR REPLACE TEMP TABLE _iso_countries (alpha2 VARCHAR, alpha3 VARCHAR)")
    con.executemany("INSERT INTO _iso_countries VALUES (?, ?)", pairs)


def _add_firms(con: duckdb.DuckDBPyConnection, leis_sql: str, source_id: int) -> None:
    """Registry firms for the entities `leis_sql` selects whose LEI names no firm yet."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _new_firms AS
        SELECT e.lei, 'lei-' || lower(e.lei) AS firm_id, e.legal_name,
               coalesce(c.alpha3, e.legal_country) AS country_code
        FROM gleif_entities e LEFT JOIN _iso_countries c ON c.alpha2 = e.legal_country
        WHERE e.lei IN ({leis_sql})
          AND e.lei NOT IN (SELECT value FROM firm_identifiers WHERE scheme = 'lei')
          AND 'lei-' || lower(e.lei) NOT IN (SELECT firm_id FROM firms)
        """
    )
    con.execute(
        f"""
        INSERT INTO firms (firm_id, name, country_code, listing_status, description, source_url, source_publisher,
                           row_hash, source_id)
        SELECT firm_id, legal_name, country_code, NULL, 'Legal entity from the GLEIF golden copy.',
               '{RECORD_URL}' || lei, 'GLEIF', md5(firm_id || legal_name), {source_id}
        FROM _new_firms
        """
    )
    con.execute(
        f"""
        INSERT INTO firm_identifiers (identifier_key, firm_id, scheme, value, exchange, source_url, row_hash, source_id)
        SELECT 'lei|' || lei || '|', firm_id, 'lei', lei, NULL, '{RECORD_URL}' || lei, md5(lei), {source_id}
        FROM _new_firms
        """
    )
    con.execute(
        f"""
        INSERT INTO firm_aliases (alias_key, firm_id, alias, language, alias_kind, source_url, row_hash, source_id)
        SELECT firm_id || '|' || legal_name, firm_id, legal_name, NULL, 'legal', '{RECORD_URL}' || lei,
               md5(legal_name), {source_id}
        FROM _new_firms
        """
    )
    con.execute("DROP TABLE _new_firms")


def feed_entities(con: duckdb.DuckDBPyConnection, source_id: int) -> None:
    _country_table(con)
    _add_firms(
        con,
        "SELECT lei FROM gleif_entities WHERE entity_status = 'ACTIVE' AND (legal_country = 'CA' OR hq_country = 'CA')",
        source_id,
    )


def feed_relationships(con: duckdb.DuckDBPyConnection, source_id: int) -> None:
    _country_table(con)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _edges AS
        WITH active AS (
            SELECT * FROM gleif_relationships
            WHERE coalesce(relationship_status, 'ACTIVE') = 'ACTIVE'
              AND relationship_type IN ('IS_DIRECTLY_CONSOLIDATED_BY', 'IS_ULTIMATELY_CONSOLIDATED_BY')
        ),
        chosen AS (  -- the direct parent where known; the ultimate one only for children without a direct one
            SELECT * FROM active a WHERE relationship_type = 'IS_DIRECTLY_CONSOLIDATED_BY'
               OR NOT EXISTS (SELECT 1 FROM active d WHERE d.child_lei = a.child_lei
                              AND d.relationship_type = 'IS_DIRECTLY_CONSOLIDATED_BY')
        )
        SELECT c.child_lei, c.parent_lei, c.relationship_type, p.firm_id AS parent_firm_id
        FROM chosen c JOIN firm_identifiers p ON p.scheme = 'lei' AND p.value = c.parent_lei
        """
    )
    _add_firms(con, "SELECT child_lei FROM _edges", source_id)
    con.execute(
        f"""
        INSERT INTO ownership (ownership_key, child_firm_id, parent_firm_id, share, relation, valid_from, valid_to,
                               source_url, source_publisher, confidence, row_hash, source_id)
        SELECT DISTINCT ch.firm_id || '|' || e.parent_firm_id || '|', ch.firm_id, e.parent_firm_id, NULL,
               'consolidated', NULL, NULL, '{RECORD_URL}' || e.child_lei, 'GLEIF (' || e.relationship_type || ')',
               'high', md5(e.child_lei || e.parent_lei), {source_id}
        FROM _edges e JOIN firm_identifiers ch ON ch.scheme = 'lei' AND ch.value = e.child_lei
        WHERE ch.firm_id <> e.parent_firm_id
          AND ch.firm_id || '|' || e.parent_firm_id || '|' NOT IN (SELECT ownership_key FROM ownership)
        """
    )
    con.execute("DROP TABLE _edges")


KINDS: tuple[Kind, ...] = (ENTITIES, RELATIONSHIPS)
