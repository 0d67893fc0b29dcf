-- The catalogue, modelled on the core tables of Open Referral's HSDS 3.0
-- (organization, service, location, service_at_location, address, phone,
-- schedule, service_area, language), with French and Arabic texts side by
-- side and Dalil's vocabulary facets as code arrays on the service.
--
-- Ids are the stable text ids of the catalogue file, not UUIDs: staff write
-- them and re-imports update rows in place by them. The HSDS export derives
-- UUIDs from them.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE organization (
    id          text PRIMARY KEY,
    name        text NOT NULL,            -- French name (HSDS name)
    name_ar     text NOT NULL DEFAULT '',
    kind        text NOT NULL,
    modified_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service (
    id                      text PRIMARY KEY,
    organization_id         text NOT NULL REFERENCES organization (id),
    name                    text NOT NULL,            -- French (HSDS name)
    name_ar                 text NOT NULL DEFAULT '',
    description             text NOT NULL DEFAULT '',
    description_ar          text NOT NULL DEFAULT '',
    eligibility_description text NOT NULL DEFAULT '', -- conditions_fr
    eligibility_description_ar text NOT NULL DEFAULT '',
    cost                    text NOT NULL DEFAULT '' CHECK (cost IN ('', 'free', 'paid', 'mixed')),
    email                   text NOT NULL DEFAULT '',
    url                     text NOT NULL DEFAULT '',

    -- Vocabulary facets (DESIGN.md), codes in vocabulary order. Empty means
    -- "every value" (open to all publics, all stages…).
    needs     text[] NOT NULL DEFAULT '{}',
    stages    text[] NOT NULL DEFAULT '{}',
    forms     text[] NOT NULL DEFAULT '{}',
    publics   text[] NOT NULL DEFAULT '{}',
    sectors   text[] NOT NULL DEFAULT '{}',
    provinces text[] NOT NULL DEFAULT '{}',
    areas     text[] NOT NULL DEFAULT '{}',
    languages text[] NOT NULL DEFAULT '{}', -- spoken at the service (HSDS language rows: view below)

    -- Computed at import for referrals. match_keys holds "facet:code" for
    -- each code, with the codes a query for it may match (the need
    -- hierarchy), and "facet:*" for an empty facet: the referral filter in
    -- SQL is a conjunction of && (for staff queries; the store filters in
    -- memory, see match.go). facet_bits packs every facet (and the
    -- languages) into one integer: what the store's in-memory index loads.
    match_keys text[] NOT NULL DEFAULT '{}',
    facet_bits bigint NOT NULL DEFAULT 0,

    -- Search keys, normalised in Go (nlu.Normalize, then Arabic letters
    -- mapped to ASCII so that pg_trgm sees words under any LC_CTYPE).
    search_names text NOT NULL DEFAULT '',
    search_text  text NOT NULL DEFAULT '',

    active      boolean NOT NULL DEFAULT true,
    updated_at  date,                             -- last check of the row (file's updated_at)
    row_hash    text NOT NULL DEFAULT '',          -- of the imported row: unchanged rows are skipped
    modified_at timestamptz NOT NULL DEFAULT now() -- last change by an import
);

CREATE INDEX service_organization_idx ON service (organization_id);
CREATE INDEX service_needs_idx     ON service USING gin (needs);
CREATE INDEX service_stages_idx    ON service USING gin (stages);
CREATE INDEX service_forms_idx     ON service USING gin (forms);
CREATE INDEX service_publics_idx   ON service USING gin (publics);
CREATE INDEX service_sectors_idx   ON service USING gin (sectors);
CREATE INDEX service_provinces_idx ON service USING gin (provinces);
CREATE INDEX service_areas_idx     ON service USING gin (areas);
CREATE INDEX service_search_names_idx ON service USING gin (search_names gin_trgm_ops);
CREATE INDEX service_search_text_idx  ON service USING gin (search_text gin_trgm_ops);

-- One location per service that gives an address or coordinates (the file
-- has one address a row); its id is the service's.
CREATE TABLE location (
    id              text PRIMARY KEY,
    organization_id text NOT NULL REFERENCES organization (id),
    location_type   text NOT NULL DEFAULT 'physical',
    latitude        double precision,
    longitude       double precision
);

CREATE TABLE address (
    id            text PRIMARY KEY,
    location_id   text NOT NULL REFERENCES location (id) ON DELETE CASCADE,
    address_1     text NOT NULL DEFAULT '',
    city          text NOT NULL DEFAULT '',
    state_province text NOT NULL DEFAULT 'Tanger-Tétouan-Al Hoceïma',
    country       text NOT NULL DEFAULT 'MA',
    address_type  text NOT NULL DEFAULT 'physical'
);
CREATE INDEX address_location_idx ON address (location_id);

CREATE TABLE service_at_location (
    id          text PRIMARY KEY,
    service_id  text NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    location_id text NOT NULL REFERENCES location (id) ON DELETE CASCADE
);
CREATE INDEX service_at_location_service_idx ON service_at_location (service_id);
CREATE INDEX service_at_location_location_idx ON service_at_location (location_id);

CREATE TABLE phone (
    id         text PRIMARY KEY,
    service_id text NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    number     text NOT NULL
);
CREATE INDEX phone_service_idx ON phone (service_id);

-- Opening hours are free text in the file: HSDS schedule.description.
CREATE TABLE schedule (
    id          text PRIMARY KEY,
    service_id  text NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    description text NOT NULL
);
CREATE INDEX schedule_service_idx ON schedule (service_id);

-- HSDS service_area and language rows are views over the service's code
-- arrays: the arrays are what matching and the GIN indexes read, and a
-- second copy as rows would cost a bulk import several seconds of
-- foreign-key checks for nothing.
CREATE VIEW service_area AS
    SELECT s.id || ':' || p.name AS id, s.id AS service_id, p.name, p.ord::smallint AS ord
    FROM service s, unnest(s.provinces) WITH ORDINALITY AS p(name, ord);

CREATE VIEW language AS
    SELECT s.id || ':' || l.code AS id, s.id AS service_id, l.code, l.ord::smallint AS ord
    FROM service s, unnest(s.languages) WITH ORDINALITY AS l(code, ord);

-- Every referral and every "nothing matched", codes only: no chat id, no
-- text, nothing that identifies a person. The observatory counts unmet needs
-- from the rows with result_count = 0. service_ids are not foreign keys: the
-- log outlives pruned services.
CREATE TABLE referral (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    lang         text NOT NULL DEFAULT '',
    needs        text[] NOT NULL DEFAULT '{}',
    stages       text[] NOT NULL DEFAULT '{}',
    forms        text[] NOT NULL DEFAULT '{}',
    publics      text[] NOT NULL DEFAULT '{}',
    sectors      text[] NOT NULL DEFAULT '{}',
    provinces    text[] NOT NULL DEFAULT '{}',
    areas        text[] NOT NULL DEFAULT '{}',
    relaxed      text[] NOT NULL DEFAULT '{}',
    result_count integer NOT NULL,
    service_ids  text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX referral_at_idx ON referral (at);
CREATE INDEX referral_unmet_idx ON referral (at) WHERE result_count = 0;

-- The vocabulary facet_bits was computed with: when the vocabulary changes,
-- the store recomputes the bits before matching.
CREATE TABLE catalogue_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- +goose Down
DROP TABLE catalogue_meta;
DROP TABLE referral;
DROP VIEW language;
DROP VIEW service_area;
DROP TABLE schedule;
DROP TABLE phone;
DROP TABLE service_at_location;
DROP TABLE address;
DROP TABLE location;
DROP TABLE service;
DROP TABLE organization;
