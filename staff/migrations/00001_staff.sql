-- Staff accounts of the web console, their sessions, and the failed logins
-- that throttle password guessing. Own goose table: staff_goose_version.

-- +goose Up
CREATE TABLE staff_account (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL UNIQUE,     -- lower case
    role          text NOT NULL CHECK (role IN ('editor', 'adviser', 'viewer')),
    password_hash text NOT NULL,            -- bcrypt
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- The cookie holds a random token; only its sha256 is stored, so a read of
-- this table does not give anyone a session.
CREATE TABLE staff_session (
    token_hash text PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES staff_account (id) ON DELETE CASCADE,
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX staff_session_expires_idx ON staff_session (expires_at);

-- key is "account:EMAIL" or "ip:ADDRESS".
CREATE TABLE staff_login_failure (
    key text NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_login_failure_idx ON staff_login_failure (key, at);

-- +goose Down
DROP TABLE staff_login_failure;
DROP TABLE staff_session;
DROP TABLE staff_account;
