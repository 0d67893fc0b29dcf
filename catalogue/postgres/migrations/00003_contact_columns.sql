-- The catalogue file gives one address, one set of coordinates, one phone
-- and one opening-hours text per service: they become columns of service,
-- and HSDS's location, address, service_at_location, phone and schedule
-- rows become views over them (as service_area and language already are).
-- Five child tables cost a 100,000-service import some 15 s of inserts and
-- foreign-key checks for a one-to-one relation. Should a service ever have
-- several phones or places, these views become tables again.

-- +goose Up
ALTER TABLE service
    ADD COLUMN address   text NOT NULL DEFAULT '',
    ADD COLUMN city      text NOT NULL DEFAULT '',
    ADD COLUMN latitude  double precision,
    ADD COLUMN longitude double precision,
    ADD COLUMN phone     text NOT NULL DEFAULT '',
    ADD COLUMN hours     text NOT NULL DEFAULT '';

UPDATE service s SET
    address   = coalesce(a.address_1, ''),
    city      = coalesce(a.city, ''),
    latitude  = l.latitude,
    longitude = l.longitude
FROM location l LEFT JOIN address a ON a.location_id = l.id
WHERE l.id = s.id;
UPDATE service s SET phone = p.number FROM phone p WHERE p.service_id = s.id;
UPDATE service s SET hours = sc.description FROM schedule sc WHERE sc.service_id = s.id;

DROP TABLE service_at_location;
DROP TABLE address;
DROP TABLE location;
DROP TABLE phone;
DROP TABLE schedule;

-- Ids of the child rows are the service's: one of each a service.
CREATE VIEW location AS
    SELECT s.id, s.organization_id, 'physical'::text AS location_type, s.city AS name, s.latitude, s.longitude
    FROM service s WHERE s.address <> '' OR s.city <> '' OR s.latitude IS NOT NULL;

CREATE VIEW address AS
    SELECT s.id, s.id AS location_id, s.address AS address_1, s.city,
           'Tanger-Tétouan-Al Hoceïma'::text AS state_province, ''::text AS postal_code,
           'MA'::text AS country, 'physical'::text AS address_type
    FROM service s WHERE s.address <> '' OR s.city <> '';

CREATE VIEW service_at_location AS
    SELECT s.id, s.id AS service_id, s.id AS location_id
    FROM service s WHERE s.address <> '' OR s.city <> '' OR s.latitude IS NOT NULL;

CREATE VIEW phone AS
    SELECT s.id, s.id AS service_id, s.phone AS number FROM service s WHERE s.phone <> '';

CREATE VIEW schedule AS
    SELECT s.id, s.id AS service_id, s.hours AS description FROM service s WHERE s.hours <> '';

-- +goose Down
DROP VIEW schedule;
DROP VIEW phone;
DROP VIEW service_at_location;
DROP VIEW address;
DROP VIEW location;

CREATE TABLE location (
    id              text PRIMARY KEY,
    organization_id text NOT NULL REFERENCES organization (id),
    location_type   text NOT NULL DEFAULT 'physical',
    latitude        double precision,
    longitude       double precision
);
CREATE TABLE address (
    id             text PRIMARY KEY,
    location_id    text NOT NULL REFERENCES location (id) ON DELETE CASCADE,
    address_1      text NOT NULL DEFAULT '',
    city           text NOT NULL DEFAULT '',
    state_province text NOT NULL DEFAULT 'Tanger-Tétouan-Al Hoceïma',
    country        text NOT NULL DEFAULT 'MA',
    address_type   text NOT NULL DEFAULT 'physical'
);
CREATE TABLE service_at_location (
    id          text PRIMARY KEY,
    service_id  text NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    location_id text NOT NULL REFERENCES location (id) ON DELETE CASCADE
);
CREATE TABLE phone (
    id         text PRIMARY KEY,
    service_id text NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    number     text NOT NULL
);
CREATE TABLE schedule (
    id          text PRIMARY KEY,
    service_id  text NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    description text NOT NULL
);
INSERT INTO location (id, organization_id, latitude, longitude)
    SELECT id, organization_id, latitude, longitude FROM service WHERE address <> '' OR city <> '' OR latitude IS NOT NULL;
INSERT INTO address (id, location_id, address_1, city)
    SELECT id, id, address, city FROM service WHERE address <> '' OR city <> '';
INSERT INTO service_at_location (id, service_id, location_id)
    SELECT id, id, id FROM service WHERE address <> '' OR city <> '' OR latitude IS NOT NULL;
INSERT INTO phone (id, service_id, number) SELECT id, id, phone FROM service WHERE phone <> '';
INSERT INTO schedule (id, service_id, description) SELECT id, id, hours FROM service WHERE hours <> '';
ALTER TABLE service DROP COLUMN address, DROP COLUMN city, DROP COLUMN latitude, DROP COLUMN longitude,
    DROP COLUMN phone, DROP COLUMN hours;
