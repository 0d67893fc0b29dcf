-- Requests sent to organisations, their life, and the organisations'
-- Telegram groups (issue 17). Own goose table: requests_goose_version.
-- service_id and org_id are the catalogue's ids without foreign keys: a
-- catalogue import may drop a service, and its requests stay measurable.

-- +goose Up
CREATE TABLE requests (
    id           text PRIMARY KEY,
    service_id   text NOT NULL,
    org_id       text NOT NULL,
    -- The person's part: chat_id to tell them and follow up, and what they
    -- agreed to share. All NULL once erased (/forget, or Purge after the
    -- request's life ended). lang and facts stay: they are no one's once
    -- the chat is gone, and they are what the observatory measures.
    chat_id      bigint NULL,
    first_name   text NULL,
    question     text NULL,
    phone        text NULL,
    lang         text NOT NULL,
    facts        jsonb NOT NULL DEFAULT '{}', -- vocab.Codes, queryable by facet
    follow_up    boolean NOT NULL,
    stopped      boolean NOT NULL DEFAULT false,
    status       text NOT NULL CHECK (status IN ('sent', 'accepted', 'declined', 'contacted', 'helped',
                                                 'not_helped', 'lapsed', 'withdrawn')),
    reason       text NULL CHECK (reason IN ('not_eligible', 'full', 'not_our_area', 'other')),
    note         text NULL, -- the organisation's words on a decline: may speak of the person, erased with them
    sent_at      timestamptz NOT NULL,
    answered_at  timestamptz NULL,
    contacted_at timestamptz NULL,
    done_at      timestamptz NULL,
    lapsed_at    timestamptz NULL,
    outcome      text NULL CHECK (outcome IN ('helped', 'no_help', 'unreachable', 'not_yet')),
    follow_ups   int NOT NULL DEFAULT 0,
    reminders    int NOT NULL DEFAULT 0,
    next_at      timestamptz NULL,
    next_kind    text NULL CHECK (next_kind IN ('reminder', 'lapse', 'followup')),
    -- A clock that took the next step holds it until claimed_until (a
    -- lease: a crashed replica's step comes back); attempts lengthens the
    -- lease of a step that keeps failing.
    claimed_until timestamptz NULL,
    attempts     int NOT NULL DEFAULT 0,
    changed_at   timestamptz NOT NULL,
    CHECK ((next_at IS NULL) = (next_kind IS NULL))
);
CREATE INDEX requests_chat_idx ON requests (chat_id) WHERE chat_id IS NOT NULL;
CREATE INDEX requests_org_idx ON requests (org_id, sent_at);
CREATE INDEX requests_next_idx ON requests (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX requests_purge_idx ON requests (changed_at) WHERE chat_id IS NOT NULL AND next_at IS NULL;

-- The life of each request, for response times and outcomes per service.
-- by_key is a pseudonymous member key or a console account id, never a
-- Telegram id in clear; detail is a code (reason, outcome), never free text.
CREATE TABLE request_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id text NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('sent', 'accepted', 'declined', 'contacted', 'helped', 'not_helped',
                                             'lapsed', 'withdrawn', 'reminded', 'followup', 'answered', 'stopped')),
    by_key     text NULL,
    detail     text NULL
);
CREATE INDEX request_events_request_idx ON request_events (request_id, at);
CREATE INDEX request_events_at_idx ON request_events (at);

CREATE TABLE org_groups (
    org_id    text PRIMARY KEY,
    chat_id   bigint NOT NULL UNIQUE,
    lang      text NOT NULL CHECK (lang IN ('fr', 'ar')),
    linked_at timestamptz NOT NULL
);

-- Only a hash of each code is kept: reading the table links no group.
CREATE TABLE org_link_codes (
    code_hash  text PRIMARY KEY,
    org_id     text NOT NULL,
    lang       text NOT NULL CHECK (lang IN ('fr', 'ar')),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz NULL
);

-- +goose Down
DROP TABLE org_link_codes;
DROP TABLE org_groups;
DROP TABLE request_events;
DROP TABLE requests;
