-- +goose Up
-- One row per handoff to the advisers. user_key is a keyed hash of the
-- Telegram chat id (never the name): /forget deletes by it.
CREATE TABLE handoffs (
    id               text PRIMARY KEY,
    user_key         text NOT NULL,
    lang             text NOT NULL,
    needs            text[] NOT NULL DEFAULT '{}',
    source           text NOT NULL DEFAULT '',
    off_hours        boolean NOT NULL DEFAULT false,
    opened_at        timestamptz NOT NULL,
    taken_at         timestamptz,
    first_answer_at  timestamptz,
    closed_at        timestamptz,
    adviser_id       bigint,
    outcome          text,
    user_messages    integer NOT NULL DEFAULT 0,
    adviser_messages integer NOT NULL DEFAULT 0,
    -- a number left for a call back: kept while open plus the retention
    phone            text
);
CREATE INDEX handoffs_user_key ON handoffs (user_key);
CREATE INDEX handoffs_opened_at ON handoffs (opened_at);

-- Message texts, only when a retention is configured (default: none kept).
CREATE TABLE handoff_messages (
    handoff_id   text NOT NULL REFERENCES handoffs (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    from_adviser boolean NOT NULL,
    body         text NOT NULL
);
CREATE INDEX handoff_messages_handoff ON handoff_messages (handoff_id);
CREATE INDEX handoff_messages_at ON handoff_messages (at);

-- +goose Down
DROP TABLE handoff_messages;
DROP TABLE handoffs;
