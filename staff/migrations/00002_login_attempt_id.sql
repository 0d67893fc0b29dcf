-- Login attempts are recorded before the password is checked (so that
-- concurrent guesses cannot all pass the limit); an id lets the attempt of
-- a successful login, or of one refused by the limit, be taken back.

-- +goose Up
ALTER TABLE staff_login_failure ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;

-- +goose Down
ALTER TABLE staff_login_failure DROP COLUMN id;
