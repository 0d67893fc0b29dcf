-- A dictionary of the words of the catalogue's search keys, with a pg_trgm
-- index, for finding the words that resemble a query's (typos) in SQL (the
-- store's Search does the same lookup in memory, checked against this
-- table). Trigram indexes over whole texts cost a 100,000-service import
-- 12 s and a common word seconds of similarity rechecks: they go.

-- +goose Up
DROP INDEX IF EXISTS service_search_names_idx;
DROP INDEX IF EXISTS service_search_text_idx;

CREATE TABLE search_word (
    word text PRIMARY KEY
);
CREATE INDEX search_word_trgm_idx ON search_word USING gin (word gin_trgm_ops);

INSERT INTO search_word (word)
SELECT DISTINCT w FROM service, unnest(string_to_array(search_names || ' ' || search_text, ' ')) AS w
WHERE w <> '' AND w !~ '^[0-9]+$'
ON CONFLICT DO NOTHING;

-- +goose Down
DROP TABLE search_word;
CREATE INDEX service_search_names_idx ON service USING gin (search_names gin_trgm_ops);
CREATE INDEX service_search_text_idx  ON service USING gin (search_text gin_trgm_ops);
