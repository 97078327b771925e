-- Every table of the exposure store, in one place.
-- Money is DECIMAL(18,2): exact to the cent, so reloads and sums are deterministic.
-- Each loaded row keeps `source_id` and `source_line`, so every number traces to a file and a line.

CREATE SEQUENCE IF NOT EXISTS source_id_seq START 1;

-- Every file loaded, with its accounting: rows_read = rows_inserted + rows_updated + rows_duplicate + rows_quarantined.
CREATE TABLE IF NOT EXISTS sources (
    source_id        INTEGER PRIMARY KEY DEFAULT nextval('source_id_seq'),
    kind             VARCHAR NOT NULL,
    file_name        VARCHAR NOT NULL,
    sha256           VARCHAR NOT NULL,
    publisher        VARCHAR,
    licence          VARCHAR,
    source_url       VARCHAR,
    loaded_at        TIMESTAMP NOT NULL,
    rows_read        BIGINT NOT NULL,
    rows_inserted    BIGINT NOT NULL,
    rows_updated     BIGINT NOT NULL,
    rows_duplicate   BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    unknown_columns  VARCHAR[],
    UNIQUE (sha256, kind)
);

-- Rows that could not be loaded, with the reason. raw_row is the CSV line (structural errors) or the row as JSON.
CREATE TABLE IF NOT EXISTS quarantine (
    source_id   INTEGER NOT NULL,
    line        BIGINT,
    raw_row     VARCHAR,
    reason      VARCHAR NOT NULL
);

-- The DHS agency hierarchy with USAspending's codes (department 070, sub-tiers 7000-7062).
CREATE TABLE IF NOT EXISTS agencies (
    agency_code   VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    abbreviation  VARCHAR,
    level         VARCHAR NOT NULL CHECK (level IN ('department', 'subtier')),
    parent_code   VARCHAR,
    active        BOOLEAN NOT NULL,
    source_url    VARCHAR NOT NULL,
    row_hash      VARCHAR NOT NULL,
    source_id     INTEGER,
    source_line   BIGINT
);

CREATE TABLE IF NOT EXISTS firms (
    firm_id          VARCHAR PRIMARY KEY,
    name             VARCHAR NOT NULL,
    country_code     VARCHAR,
    province         VARCHAR,
    city             VARCHAR,
    listing_status   VARCHAR,
    annual_revenue   DECIMAL(18,2),
    revenue_currency VARCHAR,
    revenue_year     INTEGER,
    revenue_basis    VARCHAR,
    description      VARCHAR,
    source_url       VARCHAR NOT NULL,
    source_publisher VARCHAR,
    name_matching    VARCHAR,  -- 'exact': only an exact name attributes (the name is also other businesses')
    row_hash         VARCHAR NOT NULL,
    source_id        INTEGER,
    source_line      BIGINT
);

CREATE TABLE IF NOT EXISTS firm_identifiers (
    identifier_key VARCHAR PRIMARY KEY,  -- scheme|value|exchange
    firm_id        VARCHAR NOT NULL,
    scheme         VARCHAR NOT NULL,
    value          VARCHAR NOT NULL,
    exchange       VARCHAR,
    source_url     VARCHAR NOT NULL,
    row_hash       VARCHAR NOT NULL,
    source_id      INTEGER,
    source_line    BIGINT
);

CREATE TABLE IF NOT EXISTS firm_aliases (
    alias_key   VARCHAR PRIMARY KEY,  -- firm_id|alias
    firm_id     VARCHAR NOT NULL,
    alias       VARCHAR NOT NULL,
    language    VARCHAR,
    alias_kind  VARCHAR,
    source_url  VARCHAR NOT NULL,
    row_hash    VARCHAR NOT NULL,
    source_id   INTEGER,
    source_line BIGINT
);

CREATE TABLE IF NOT EXISTS ownership (
    ownership_key    VARCHAR PRIMARY KEY,  -- child|parent|valid_from
    child_firm_id    VARCHAR NOT NULL,
    parent_firm_id   VARCHAR NOT NULL,
    share            DECIMAL(7,6),         -- fraction 0..1 when known
    relation         VARCHAR NOT NULL,
    valid_from       DATE,
    valid_to         DATE,
    source_url       VARCHAR NOT NULL,
    source_publisher VARCHAR,
    confidence       VARCHAR,
    row_hash         VARCHAR NOT NULL,
    source_id        INTEGER,
    source_line      BIGINT
);

-- Contract prime transactions from every transaction-level format (bulk download, search export, 2018 download).
CREATE TABLE IF NOT EXISTS transactions (
    transaction_key                 VARCHAR PRIMARY KEY,
    contract_award_unique_key       VARCHAR NOT NULL,
    award_id_piid                   VARCHAR,
    modification_number             VARCHAR,
    transaction_number              VARCHAR,
    parent_award_id_piid            VARCHAR,
    parent_award_agency_id          VARCHAR,
    action_date                     DATE NOT NULL,
    federal_action_obligation       DECIMAL(18,2) NOT NULL,
    awarding_agency_code            VARCHAR,
    awarding_sub_agency_code        VARCHAR,
    awarding_sub_agency_name        VARCHAR,
    funding_sub_agency_code         VARCHAR,
    recipient_uei                   VARCHAR,
    recipient_duns                  VARCHAR,
    recipient_name                  VARCHAR,
    recipient_parent_uei            VARCHAR,
    recipient_parent_duns           VARCHAR,
    recipient_parent_name           VARCHAR,
    cage_code                       VARCHAR,
    recipient_country_code          VARCHAR,
    recipient_state_code            VARCHAR,
    domestic_or_foreign_entity      VARCHAR,
    product_or_service_code         VARCHAR,
    product_or_service_description  VARCHAR,
    naics_code                      VARCHAR,
    naics_description               VARCHAR,
    transaction_description         VARCHAR,
    source_kind                     VARCHAR NOT NULL,
    row_hash                        VARCHAR NOT NULL,
    source_id                       INTEGER NOT NULL,
    source_line                     BIGINT
);

-- Prime award summaries (lifetime totals) from USAspending downloads and the bundled key awards.
CREATE TABLE IF NOT EXISTS awards (
    contract_award_unique_key       VARCHAR PRIMARY KEY,
    award_id_piid                   VARCHAR,
    parent_award_id_piid            VARCHAR,
    total_obligated_amount          DECIMAL(18,2) NOT NULL,
    amount_basis                    VARCHAR,
    potential_total_value           DECIMAL(18,2),
    award_base_action_date          DATE,
    award_latest_action_date        DATE,
    awarding_agency_code            VARCHAR,
    awarding_sub_agency_code        VARCHAR,
    awarding_sub_agency_name        VARCHAR,
    recipient_uei                   VARCHAR,
    recipient_duns                  VARCHAR,
    recipient_name                  VARCHAR,
    recipient_parent_uei            VARCHAR,
    recipient_parent_name           VARCHAR,
    cage_code                       VARCHAR,
    recipient_country_code          VARCHAR,
    recipient_state_code            VARCHAR,
    domestic_or_foreign_entity      VARCHAR,
    product_or_service_code         VARCHAR,
    product_or_service_description  VARCHAR,
    naics_code                      VARCHAR,
    naics_description               VARCHAR,
    award_description               VARCHAR,
    source_url                      VARCHAR,
    source_kind                     VARCHAR NOT NULL,
    row_hash                        VARCHAR NOT NULL,
    source_id                       INTEGER NOT NULL,
    source_line                     BIGINT
);

CREATE TABLE IF NOT EXISTS subawards (
    subaward_key                    VARCHAR PRIMARY KEY,  -- report id|subaward number
    prime_award_unique_key          VARCHAR NOT NULL,
    prime_award_piid                VARCHAR,
    prime_awarding_sub_agency_code  VARCHAR,
    prime_awarding_sub_agency_name  VARCHAR,
    prime_awardee_uei               VARCHAR,
    prime_awardee_name              VARCHAR,
    prime_awardee_parent_uei        VARCHAR,
    prime_awardee_parent_name       VARCHAR,
    subaward_report_id              VARCHAR NOT NULL,
    subaward_number                 VARCHAR NOT NULL,
    subaward_amount                 DECIMAL(18,2) NOT NULL,
    subaward_action_date            DATE NOT NULL,
    subawardee_uei                  VARCHAR,
    subawardee_duns                 VARCHAR,
    subawardee_name                 VARCHAR,
    subawardee_parent_uei           VARCHAR,
    subawardee_parent_name          VARCHAR,
    subawardee_country_code         VARCHAR,
    prime_award_naics_code          VARCHAR,
    prime_award_naics_description   VARCHAR,
    subaward_description            VARCHAR,
    source_kind                     VARCHAR NOT NULL,
    row_hash                        VARCHAR NOT NULL,
    source_id                       INTEGER NOT NULL,
    source_line                     BIGINT
);

-- Company-agency links from documents (news, filings), curated in our own words.
CREATE TABLE IF NOT EXISTS evidence (
    evidence_id      VARCHAR PRIMARY KEY,
    firm_id          VARCHAR NOT NULL,
    agency_code      VARCHAR,
    kind             VARCHAR NOT NULL CHECK (kind IN ('contract', 'property', 'software', 'export')),
    category         VARCHAR,              -- what was sold, in the methodology's categories
    status           VARCHAR NOT NULL CHECK (status IN ('reported', 'intended', 'active', 'completed', 'cancelled')),
    channel          VARCHAR NOT NULL CHECK (channel IN ('direct', 'reseller', 'joint_venture')),
    channel_party    VARCHAR,
    channel_share    DECIMAL(7,6),
    amount           DECIMAL(18,2),
    currency         VARCHAR,
    event_date       DATE,
    event_date_precision VARCHAR,  -- day | month | year: a month or year is stored as its first day
    summary          VARCHAR NOT NULL,
    publisher        VARCHAR NOT NULL,
    published_date   DATE,
    url              VARCHAR NOT NULL,
    confidence       VARCHAR NOT NULL CHECK (confidence IN ('high', 'medium', 'low')),
    company_response VARCHAR,
    award_key        VARCHAR,
    row_hash         VARCHAR NOT NULL,
    source_id        INTEGER,
    source_line      BIGINT,
    goods_origin     VARCHAR               -- where the document says the goods were made (ISO 3166 alpha-3); null: not said
);

-- Per-firm results written by `exposure score`, kept by (firm, as_of, methodology version).
CREATE TABLE IF NOT EXISTS scores (
    firm_id              VARCHAR NOT NULL,
    as_of                DATE NOT NULL,
    methodology_version  VARCHAR NOT NULL,
    firm_name            VARCHAR,
    in_registry          BOOLEAN NOT NULL,
    score                DOUBLE NOT NULL,
    tier                 VARCHAR NOT NULL,
    obligated_total      DECIMAL(18,2) NOT NULL,   -- the firm's share of obligations, direct + indirect
    direct_total         DECIMAL(18,2) NOT NULL,
    indirect_total       DECIMAL(18,2) NOT NULL,   -- subawards
    ice_total            DECIMAL(18,2) NOT NULL,
    cbp_total            DECIMAL(18,2) NOT NULL,
    other_dhs_total      DECIMAL(18,2) NOT NULL,
    weighted_total       DECIMAL(18,2) NOT NULL,   -- sum of contributions
    link_count           BIGINT NOT NULL,
    award_count          BIGINT NOT NULL,
    evidence_count       BIGINT NOT NULL,
    by_agency            JSON,
    by_category          JSON,
    by_subsidiary        JSON,
    revenue_share        DOUBLE,                   -- percent of annual revenue, trailing 365 days
    revenue_band         VARCHAR,
    revenue_basis        VARCHAR,                  -- actual | estimated
    scored_at            TIMESTAMP NOT NULL,
    PRIMARY KEY (firm_id, as_of, methodology_version)
);

-- Earlier results for an (as_of, methodology) scored again: the new run replaces `scores`, the old one moves
-- here, so history keeps every run (told apart by scored_at).
CREATE TABLE IF NOT EXISTS score_history AS SELECT * FROM scores LIMIT 0;

-- The scored snapshot an operator chose to serve (`exposure refresh --as-of DATE --serve`); without a row the
-- newest as_of is served, so a backfill of an older date never switches the live service back in time.
CREATE TABLE IF NOT EXISTS served_snapshot (
    as_of                DATE NOT NULL,
    methodology_version  VARCHAR NOT NULL,
    chosen_at            TIMESTAMP NOT NULL
);

-- One row per (firm, link): the factors of each contribution, adding back up to the firm's totals.
CREATE TABLE IF NOT EXISTS contributions (
    firm_id                     VARCHAR NOT NULL,
    as_of                       DATE NOT NULL,
    methodology_version         VARCHAR NOT NULL,
    link_id                     VARCHAR NOT NULL,
    link_kind                   VARCHAR NOT NULL,
    source_key                  VARCHAR NOT NULL,
    award_key                   VARCHAR,
    source_url                  VARCHAR,
    via_firm_id                 VARCHAR NOT NULL,   -- the registry firm (often a U.S. subsidiary) the record matched
    ownership_path              VARCHAR[],
    matched_by                  VARCHAR,
    matched_value               VARCHAR,
    match_confidence            DOUBLE,
    recipient_name              VARCHAR,
    agency_code                 VARCHAR,
    category                    VARCHAR NOT NULL,
    category_source             VARCHAR NOT NULL,
    link_date                   DATE,
    is_direct                   BOOLEAN NOT NULL,
    amount                      DECIMAL(18,2) NOT NULL,   -- as recorded
    share_amount                DECIMAL(18,2) NOT NULL,   -- the firm's share of the obligation
    weighted_amount             DECIMAL(18,2) NOT NULL,   -- amount the weights apply to (nominal for documents)
    category_severity           DOUBLE NOT NULL,
    agency_weight               DOUBLE NOT NULL,
    recency_weight              DOUBLE NOT NULL,
    evidence_confidence         DOUBLE NOT NULL,
    ownership_share             DOUBLE NOT NULL,
    channel_weight              DOUBLE NOT NULL,
    contribution                DOUBLE NOT NULL,
    description                 VARCHAR,
    -- The Export Control List item the goods suggest (scoring/export_controls.py; indicative, not a permit
    -- decision), and the rule of scoring/methodology/export_control_rules.csv that decided it.
    ecl_rule_id                 VARCHAR,
    ecl_item                    VARCHAR,              -- "2-6", "1-5.A.1.j"; null: no item
    wassenaar_item              VARCHAR,              -- "ML6", "5.A.1.j"
    ecl_label                   VARCHAR
);

-- Records that matched no firm, counted so nothing is silently dropped.
CREATE TABLE IF NOT EXISTS unattributed (
    as_of                DATE NOT NULL,
    methodology_version  VARCHAR NOT NULL,
    link_kind            VARCHAR NOT NULL,
    records              BIGINT NOT NULL,
    amount               DECIMAL(18,2) NOT NULL
);

-- Codes and descriptions that fell through to the fallback category: what the methodology should map next.
CREATE TABLE IF NOT EXISTS unmapped_categories (
    as_of                DATE NOT NULL,
    methodology_version  VARCHAR NOT NULL,
    psc_code             VARCHAR,
    psc_description      VARCHAR,
    naics_code           VARCHAR,
    naics_description    VARCHAR,
    links                BIGINT NOT NULL,
    amount               DECIMAL(18,2) NOT NULL
);

-- Analysts' decisions about matches: "this vendor is / is not that firm", with who, when and why.
CREATE SEQUENCE IF NOT EXISTS override_id_seq START 1;
CREATE TABLE IF NOT EXISTS match_overrides (
    override_id  INTEGER PRIMARY KEY DEFAULT nextval('override_id_seq'),
    scheme       VARCHAR NOT NULL CHECK (scheme IN ('name', 'uei')),
    value        VARCHAR NOT NULL,        -- the normalised vendor name, or the UEI
    raw_value    VARCHAR NOT NULL,        -- as the analyst typed it
    firm_id      VARCHAR NOT NULL,
    decision     VARCHAR NOT NULL CHECK (decision IN ('is', 'is_not')),
    decided_by   VARCHAR NOT NULL,
    decided_at   TIMESTAMP NOT NULL,
    reason       VARCHAR NOT NULL
);

-- GLEIF golden copy: Level 1 entities and Level 2 relationships, as loaded (they feed firms and ownership).
CREATE TABLE IF NOT EXISTS gleif_entities (
    lei                  VARCHAR PRIMARY KEY,
    legal_name           VARCHAR NOT NULL,
    legal_jurisdiction   VARCHAR,
    legal_country        VARCHAR,
    hq_country           VARCHAR,
    entity_status        VARCHAR,
    registration_status  VARCHAR,
    row_hash             VARCHAR NOT NULL,
    source_id            INTEGER,
    source_line          BIGINT
);

CREATE TABLE IF NOT EXISTS gleif_relationships (
    relationship_key     VARCHAR PRIMARY KEY,  -- child|parent|type
    child_lei            VARCHAR NOT NULL,
    parent_lei           VARCHAR NOT NULL,
    relationship_type    VARCHAR NOT NULL,
    relationship_status  VARCHAR,
    row_hash             VARCHAR NOT NULL,
    source_id            INTEGER,
    source_line          BIGINT
);

-- The universe of Canadian listed issuers (datasets/data/issuers.csv, rebuilt by datasets/sources/issuers/build.py):
-- one row per issuer; `firm_id` names the registry firm it is, when it is one (one identity per firm).
CREATE TABLE IF NOT EXISTS issuers (
    issuer_id         VARCHAR PRIMARY KEY,
    name              VARCHAR NOT NULL,
    firm_id           VARCHAR,
    status            VARCHAR NOT NULL CHECK (status IN ('listed', 'delisted')),
    country           VARCHAR,
    province          VARCHAR,
    city              VARCHAR,
    sector            VARCHAR,
    industry          VARCHAR,
    website           VARCHAR,
    primary_exchange  VARCHAR NOT NULL,
    primary_ticker    VARCHAR NOT NULL,
    isin              VARCHAR,
    cusip             VARCHAR,
    lei               VARCHAR,   -- GLEIF LEI whose legal name is exactly this issuer's (build.py says how)
    lei_legal_name    VARCHAR,
    listings          INTEGER NOT NULL,
    source_url        VARCHAR NOT NULL,
    row_hash          VARCHAR NOT NULL,
    source_id         INTEGER,
    source_line       BIGINT
);

-- The research status of each issuer's U.S. subsidiaries (datasets/data/issuer_research.csv, written from
-- COVERAGE.md by datasets/sources/coverage/build.py); an issuer without a row is not researched.
CREATE TABLE IF NOT EXISTS issuer_research (
    issuer_id         VARCHAR PRIMARY KEY,
    research_status   VARCHAR NOT NULL CHECK (research_status IN ('subsidiaries_added',
                          'checked_no_us_subsidiary_found', 'left_out_no_primary_source', 'searched_not_settled',
                          'not_researched')),
    coverage_table    VARCHAR NOT NULL,
    curation_notes    VARCHAR,
    row_hash          VARCHAR NOT NULL,
    source_id         INTEGER,
    source_line       BIGINT
);

-- Leads the subsidiary research could not settle (datasets/data/review_leads.csv, curated): a vendor of the records
-- that may be a universe issuer's. The review queue offers it for that issuer; nothing counts until confirmed.
CREATE TABLE IF NOT EXISTS review_leads (
    recipient_name    VARCHAR PRIMARY KEY,   -- the vendor's name as the records spell it
    issuer_id         VARCHAR NOT NULL,
    lead              VARCHAR NOT NULL,      -- why it may be the issuer's, and what is missing
    source_url        VARCHAR NOT NULL,
    source_publisher  VARCHAR,
    row_hash          VARCHAR NOT NULL,
    source_id         INTEGER,
    source_line       BIGINT
);

-- Every listing (share class on an exchange) of a universe issuer, with its identifiers.
CREATE TABLE IF NOT EXISTS issuer_listings (
    listing_key       VARCHAR PRIMARY KEY,  -- exchange|ticker
    issuer_id         VARCHAR NOT NULL,
    exchange          VARCHAR NOT NULL,     -- TSX | TSXV | CSE | NEO (Cboe Canada)
    mic               VARCHAR NOT NULL,
    ticker            VARCHAR NOT NULL,     -- as the exchange writes it: GIB.A, BIP.UN
    source_symbol     VARCHAR,
    isin              VARCHAR,
    isin_basis        VARCHAR,              -- source | derived_from_cusip | supplement
    cusip             VARCHAR,
    figi              VARCHAR,
    composite_figi    VARCHAR,
    shareclass_figi   VARCHAR,
    currency          VARCHAR,
    delisted          BOOLEAN NOT NULL,
    source_url        VARCHAR NOT NULL,
    row_hash          VARCHAR NOT NULL,
    source_id         INTEGER,
    source_line       BIGINT
);

-- How each firm rolls up to its Canadian parents, and when: one row per path and period in which every
-- ownership edge on it held (valid_from/valid_to inclusive, null open). Written with the scores; the server
-- reads it and never walks the ownership itself.
CREATE TABLE IF NOT EXISTS ownership_paths (
    as_of               DATE NOT NULL,
    methodology_version VARCHAR NOT NULL,
    firm_id             VARCHAR NOT NULL,
    parent_id           VARCHAR NOT NULL,
    ownership_share     DOUBLE NOT NULL,
    path                VARCHAR[] NOT NULL,
    valid_from          DATE,
    valid_to            DATE
);

-- The review queue (scoring/candidates.py): unattributed vendors that may be Canadian-owned, most dollars
-- first, with why. Never part of a score; an analyst confirms one with `exposure overrides add`.
CREATE TABLE IF NOT EXISTS review_candidates (
    as_of               DATE NOT NULL,
    methodology_version VARCHAR NOT NULL,
    rank                INTEGER NOT NULL,
    recipient_name      VARCHAR NOT NULL,
    recipient_uei       VARCHAR,
    amount              DOUBLE NOT NULL,
    records             INTEGER NOT NULL,
    first_date          DATE,
    last_date           DATE,
    agencies            VARCHAR[],
    reasons             VARCHAR[] NOT NULL,
    suggested_firm_id   VARCHAR,
    suggested_issuer_id VARCHAR,
    award_keys          VARCHAR[]
);

-- The change log: what each refresh changed in the served result (score, tier, verdict under the default
-- policy, awards and evidence new to a firm), each with its before and after. Read by GET /v1/changes and sent
-- to registered webhooks.
CREATE SEQUENCE IF NOT EXISTS change_id_seq START 1;
CREATE TABLE IF NOT EXISTS changes (
    change_id                BIGINT PRIMARY KEY,
    refresh_id               VARCHAR NOT NULL,
    detected_at              TIMESTAMP NOT NULL,
    from_as_of               DATE,
    from_methodology_version VARCHAR,
    to_as_of                 DATE NOT NULL,
    to_methodology_version   VARCHAR NOT NULL,
    firm_id                  VARCHAR NOT NULL,
    kind                     VARCHAR NOT NULL,   -- score | tier | new_award | new_evidence
    subject_key              VARCHAR,            -- the award key or evidence id, for new_award / new_evidence
    before                   JSON,
    after                    JSON,
    summary                  VARCHAR NOT NULL
);

-- Government of Canada contracts (datasets/sources/goc_contracts), in Canadian dollars: never added to the U.S.
-- figures above. Contract rows come from open.canada.ca's Proactive Disclosure of Contracts (or GoC-Spending's
-- processed form of it); an amendment is a row of its own carrying the whole value so far, so rows are not summed
-- per vendor. The vendor totals per fiscal year are GoC-Spending's, amendments counted once.
CREATE TABLE IF NOT EXISTS goc_contracts (
    contract_key          VARCHAR PRIMARY KEY,  -- owner_org-reference_number
    owner_org             VARCHAR,              -- the department's short code (ssc-spc, rcmp-grc, dnd-mdn)
    owner_org_title       VARCHAR,
    reference_number      VARCHAR,
    procurement_id        VARCHAR,
    vendor_name           VARCHAR NOT NULL,
    vendor_postal_code    VARCHAR,
    buyer_name            VARCHAR,
    economic_object_code  VARCHAR,
    description_en        VARCHAR,
    description_fr        VARCHAR,
    commodity_type        VARCHAR,
    commodity_code        VARCHAR,
    country_of_vendor     VARCHAR,
    solicitation_procedure VARCHAR,
    instrument_type       VARCHAR,
    reporting_period      VARCHAR,
    contract_date         DATE,
    contract_period_start DATE,
    delivery_date         DATE,
    contract_value        DECIMAL(18,2) NOT NULL,  -- CAD
    original_value        DECIMAL(18,2),
    amendment_value       DECIMAL(18,2),
    fiscal_year           VARCHAR NOT NULL,        -- 2021-2022: reported in, else the contract date's
    source_kind           VARCHAR NOT NULL,
    row_hash              VARCHAR NOT NULL,
    source_id             INTEGER NOT NULL,
    source_line           BIGINT
);

CREATE TABLE IF NOT EXISTS goc_vendor_totals (
    vendor_total_key        VARCHAR PRIMARY KEY,  -- vendor|fiscal year
    vendor_name             VARCHAR NOT NULL,     -- GoC-Spending's normalised vendor name
    fiscal_year             VARCHAR NOT NULL,     -- 2021-2022 (April 1 to March 31)
    total_cad               DECIMAL(18,2) NOT NULL,
    total_constant_2019_cad DECIMAL(18,2),
    source_kind             VARCHAR NOT NULL,
    row_hash                VARCHAR NOT NULL,
    source_id               INTEGER NOT NULL,
    source_line             BIGINT
);

-- GoC-Spending's vendor normalisation: the raw spellings each normalised vendor name of goc_vendor_totals groups.
CREATE TABLE IF NOT EXISTS goc_vendor_spellings (
    spelling_key  VARCHAR PRIMARY KEY,  -- group|spelling
    group_name    VARCHAR NOT NULL,     -- goc_vendor_totals.vendor_name
    spelling      VARCHAR NOT NULL,     -- a vendor name as Government of Canada records spell it
    source_kind   VARCHAR NOT NULL,
    row_hash      VARCHAR NOT NULL,
    source_id     INTEGER NOT NULL,
    source_line   BIGINT
);

-- Written with the scores (scoring/federal.py): each Government of Canada record whose vendor the scoring's
-- name resolution put on a registry firm, rolled up to its Canadian parent as of the record's date.
CREATE TABLE IF NOT EXISTS federal_contract_links (
    as_of               DATE NOT NULL,
    methodology_version VARCHAR NOT NULL,
    firm_id             VARCHAR NOT NULL,   -- the Canadian parent
    via_firm_id         VARCHAR NOT NULL,   -- the registry firm the vendor name matched
    ownership_path      VARCHAR[],
    ownership_share     DOUBLE,
    record              VARCHAR NOT NULL CHECK (record IN ('vendor_total', 'contract')),
    record_key          VARCHAR NOT NULL,   -- goc_vendor_totals.vendor_total_key or goc_contracts.contract_key
    vendor_name         VARCHAR NOT NULL,
    fiscal_year         VARCHAR NOT NULL,
    record_date         DATE,               -- the contract date, or the fiscal year's last day for a total
    department          VARCHAR,            -- owner_org (contracts only)
    department_name     VARCHAR,            -- owner_org_title
    value_cad           DECIMAL(18,2) NOT NULL,
    value_constant_2019_cad DECIMAL(18,2),
    matched_by          VARCHAR NOT NULL,
    matched_value       VARCHAR,
    match_confidence    DOUBLE,
    source_id           INTEGER NOT NULL,
    source_line         BIGINT,
    unverified_spellings VARCHAR[]          -- spellings of a total's GoC-Spending group the registry puts on no firm
);

-- Government of Canada vendor names that resemble a registry firm but were not put on it: for an analyst, who
-- confirms one with `exposure overrides add --name`. Kept apart from review_candidates, whose amounts are U.S.
-- obligations: these are Canadian dollars and are never ranked with them.
CREATE TABLE IF NOT EXISTS federal_vendor_candidates (
    as_of               DATE NOT NULL,
    methodology_version VARCHAR NOT NULL,
    rank                INTEGER NOT NULL,
    vendor_name         VARCHAR NOT NULL,
    total_cad           DECIMAL(18,2) NOT NULL,
    records             INTEGER NOT NULL,
    fiscal_years        VARCHAR[],
    reasons             VARCHAR[] NOT NULL,
    suggested_firm_id   VARCHAR
);
