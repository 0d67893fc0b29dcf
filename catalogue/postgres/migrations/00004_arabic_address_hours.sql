-- The Arabic address and opening hours of a service (catalogue columns
-- address_ar and hours_ar, optional): Arabic and Darija cards show them
-- instead of the French ones. Empty when the file gives none.

-- +goose Up
ALTER TABLE service
    ADD COLUMN address_ar text NOT NULL DEFAULT '',
    ADD COLUMN hours_ar   text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE service DROP COLUMN address_ar, DROP COLUMN hours_ar;
