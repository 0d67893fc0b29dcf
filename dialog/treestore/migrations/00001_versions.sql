-- Versions of the question tree and of the free-text lexicon, and the audit
-- log of every change staff make (console or command line).
--
-- These tables have their own goose version table (treestore_goose_version)
-- so that their numbering never collides with the catalogue's migrations.

-- +goose Up
CREATE TABLE content_version (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('tree', 'lexicon')),
    n          integer NOT NULL,              -- version number within its kind, from 1
    content    bytea NOT NULL,                -- the YAML file as published
    hash       text NOT NULL,                 -- sha256 of content, hex
    author     text NOT NULL,
    comment    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    restores   integer,                       -- set on a rollback: the version number restored
    UNIQUE (kind, n)
);

-- Which version of each kind is live. One row per kind once something was
-- published; absent means the binary's built-in file.
CREATE TABLE live_version (
    kind text PRIMARY KEY CHECK (kind IN ('tree', 'lexicon')),
    n    integer NOT NULL,
    FOREIGN KEY (kind, n) REFERENCES content_version (kind, n)
);

CREATE TABLE audit (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text NOT NULL,    -- staff e-mail, or the author given on the command line
    action text NOT NULL,    -- e.g. tree.publish, catalogue.edit, staff.add
    detail text NOT NULL DEFAULT ''
);
CREATE INDEX audit_at_idx ON audit (at);

-- +goose Down
DROP TABLE audit;
DROP TABLE live_version;
DROP TABLE content_version;
