-- Partner accounts: staff of a partner organisation who see only their own
-- organisation's requests (issue 17). org_id is the catalogue's org_id; no
-- foreign key, since a catalogue import may drop and recreate organisations.

-- +goose Up
ALTER TABLE staff_account DROP CONSTRAINT staff_account_role_check;
ALTER TABLE staff_account ADD CONSTRAINT staff_account_role_check
    CHECK (role IN ('editor', 'adviser', 'viewer', 'partner'));
ALTER TABLE staff_account ADD COLUMN org_id text NULL;
ALTER TABLE staff_account ADD CONSTRAINT staff_account_partner_org_check
    CHECK ((role = 'partner') = (org_id IS NOT NULL));
CREATE INDEX staff_account_org_idx ON staff_account (org_id) WHERE org_id IS NOT NULL;

-- +goose Down
DROP INDEX staff_account_org_idx;
ALTER TABLE staff_account DROP CONSTRAINT staff_account_partner_org_check;
DELETE FROM staff_account WHERE role = 'partner';
ALTER TABLE staff_account DROP COLUMN org_id;
ALTER TABLE staff_account DROP CONSTRAINT staff_account_role_check;
ALTER TABLE staff_account ADD CONSTRAINT staff_account_role_check
    CHECK (role IN ('editor', 'adviser', 'viewer'));
