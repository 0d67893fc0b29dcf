package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/catalogue"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// Prune deletes the services absent from the import (and organisations
	// left without services) instead of marking them inactive.
	Prune bool
	// DryRun does everything in a transaction and rolls it back: the report
	// says what an import would change.
	DryRun bool
}

// ImportReport counts what an import changed (or would have, in a dry run).
type ImportReport struct {
	Services      int // services in the import
	Organisations int // distinct organisations in the import
	Inserted      int // new services
	Updated       int // services whose content changed
	Unchanged     int // services already stored as imported
	Deactivated   int // services absent from the import, now inactive
	Deleted       int // services absent from the import, deleted (Prune)
	DryRun        bool
}

// ErrNothingToImport is returned for an empty import, which as a full
// re-import would deactivate the whole catalogue.
var ErrNothingToImport = errors.New("the catalogue to import has no service")

// Import loads a full catalogue, all or nothing, in one transaction: the
// services are copied (COPY) into a staging table, then organisations and
// services are upserted by id (rows whose content did not change, by a hash
// of everything stored, are left alone), and the stored services absent
// from the import are marked inactive, or deleted with Prune. Services come
// in active unless their Active is false. Concurrent imports are serialised
// (advisory lock); any change bumps the catalogue generation, which makes
// every process's in-memory indexes reload.
func (s *Store) Import(ctx context.Context, services []*catalogue.Service, opts ImportOptions) (ImportReport, error) {
	return s.importServices(ctx, services, opts)
}

// staging is the COPY target; its columns are those of stagingRow.
const createStaging = `CREATE TEMP TABLE import_service (
	ord int, id text, org_id text, org_name text, org_name_ar text, org_kind text,
	name text, name_ar text, description text, description_ar text, cond text, cond_ar text,
	cost text, email text, url text,
	needs text[], stages text[], forms text[], publics text[], sectors text[], provinces text[], areas text[], languages text[],
	match_keys text[], facet_bits bigint, search_names text, search_text text,
	active boolean, updated_at date, address text, city text, latitude float8, longitude float8,
	phone text, hours text, address_ar text, hours_ar text, row_hash text
) ON COMMIT DROP`

var stagingColumns = []string{
	"ord", "id", "org_id", "org_name", "org_name_ar", "org_kind",
	"name", "name_ar", "description", "description_ar", "cond", "cond_ar",
	"cost", "email", "url",
	"needs", "stages", "forms", "publics", "sectors", "provinces", "areas", "languages",
	"match_keys", "facet_bits", "search_names", "search_text",
	"active", "updated_at", "address", "city", "latitude", "longitude",
	"phone", "hours", "address_ar", "hours_ar", "row_hash",
}

// importSteps run, in order, after the COPY.
var importSteps = []string{
	`CREATE INDEX ON import_service (id)`,
	`INSERT INTO organization (id, name, name_ar, kind)
	 SELECT DISTINCT ON (org_id) org_id, org_name, org_name_ar, org_kind FROM import_service ORDER BY org_id, ord
	 ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, name_ar = EXCLUDED.name_ar, kind = EXCLUDED.kind, modified_at = now()
	 WHERE (organization.name, organization.name_ar, organization.kind) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.name_ar, EXCLUDED.kind)`,
	`CREATE TEMP TABLE import_changed ON COMMIT DROP AS
	 SELECT i.id, s.id IS NULL AS is_new FROM import_service i LEFT JOIN service s ON s.id = i.id
	 WHERE s.id IS NULL OR s.row_hash <> i.row_hash`,
	`CREATE INDEX ON import_changed (id)`,
	`INSERT INTO service (id, organization_id, name, name_ar, description, description_ar,
		eligibility_description, eligibility_description_ar, cost, email, url,
		needs, stages, forms, publics, sectors, provinces, areas, languages, match_keys, facet_bits,
		search_names, search_text, active, updated_at, address, city, latitude, longitude, phone, hours, address_ar, hours_ar, row_hash, modified_at)
	 SELECT i.id, i.org_id, i.name, i.name_ar, i.description, i.description_ar, i.cond, i.cond_ar, i.cost, i.email, i.url,
		i.needs, i.stages, i.forms, i.publics, i.sectors, i.provinces, i.areas, i.languages, i.match_keys, i.facet_bits,
		i.search_names, i.search_text, i.active, i.updated_at, i.address, i.city, i.latitude, i.longitude, i.phone, i.hours, i.address_ar, i.hours_ar, i.row_hash, now()
	 FROM import_service i JOIN import_changed c ON c.id = i.id
	 ON CONFLICT (id) DO UPDATE SET organization_id = EXCLUDED.organization_id, name = EXCLUDED.name, name_ar = EXCLUDED.name_ar,
		description = EXCLUDED.description, description_ar = EXCLUDED.description_ar,
		eligibility_description = EXCLUDED.eligibility_description, eligibility_description_ar = EXCLUDED.eligibility_description_ar,
		cost = EXCLUDED.cost, email = EXCLUDED.email, url = EXCLUDED.url,
		needs = EXCLUDED.needs, stages = EXCLUDED.stages, forms = EXCLUDED.forms, publics = EXCLUDED.publics,
		sectors = EXCLUDED.sectors, provinces = EXCLUDED.provinces, areas = EXCLUDED.areas, languages = EXCLUDED.languages,
		match_keys = EXCLUDED.match_keys, facet_bits = EXCLUDED.facet_bits,
		search_names = EXCLUDED.search_names, search_text = EXCLUDED.search_text,
		active = EXCLUDED.active, updated_at = EXCLUDED.updated_at, address = EXCLUDED.address, city = EXCLUDED.city,
		latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, phone = EXCLUDED.phone, hours = EXCLUDED.hours,
		address_ar = EXCLUDED.address_ar, hours_ar = EXCLUDED.hours_ar,
		row_hash = EXCLUDED.row_hash, modified_at = now()`,
}

// Services absent from the import: marked inactive (row_hash cleared so
// that a later import listing them again reactivates them), or deleted.
const (
	deactivateMissing = `UPDATE service s SET active = false, row_hash = '', modified_at = now()
	 WHERE s.active AND NOT EXISTS (SELECT 1 FROM import_service i WHERE i.id = s.id)`
	pruneMissing       = `DELETE FROM service s WHERE NOT EXISTS (SELECT 1 FROM import_service i WHERE i.id = s.id)`
	pruneOrganisations = `DELETE FROM organization o WHERE NOT EXISTS (SELECT 1 FROM service s WHERE s.organization_id = o.id)`
	// Match's in-memory index reloads when the generation moves.
	bumpGeneration = `INSERT INTO catalogue_meta (key, value) VALUES ('generation', '1')
	 ON CONFLICT (key) DO UPDATE SET value = (catalogue_meta.value::bigint + 1)::text`
	saveVocabulary = `INSERT INTO catalogue_meta (key, value) VALUES ('vocabulary', $1)
	 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`
)

func (s *Store) importServices(ctx context.Context, services []*catalogue.Service, opts ImportOptions) (ImportReport, error) {
	rep := ImportReport{Services: len(services), DryRun: opts.DryRun}
	if len(services) == 0 {
		return rep, ErrNothingToImport
	}
	seen := make(map[string]bool, len(services))
	orgs := map[string]bool{}
	for _, sv := range services {
		if sv.ID == "" || sv.Org.ID == "" {
			return rep, fmt.Errorf("import: a service without id or organisation id")
		}
		if seen[sv.ID] {
			return rep, fmt.Errorf("import: service id %q appears twice", sv.ID)
		}
		seen[sv.ID] = true
		orgs[sv.Org.ID] = true
	}
	rep.Organisations = len(orgs)
	start := time.Now()

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return rep, fmt.Errorf("starting the import transaction: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('dalil.catalogue.import'))"); err != nil {
		return rep, fmt.Errorf("waiting for another import: %w", err)
	}
	if _, err := tx.Exec(ctx, createStaging); err != nil {
		return rep, fmt.Errorf("creating the staging table: %w", err)
	}
	rows, words := s.stagingRows(services)
	slog.DebugContext(ctx, "import: staging rows computed", "duration", time.Since(start))
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_service"}, stagingColumns, pgx.CopyFromRows(rows)); err != nil {
		return rep, fmt.Errorf("copying services into the staging table: %w", err)
	}
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE import_word (word text) ON COMMIT DROP"); err != nil {
		return rep, fmt.Errorf("creating the word staging table: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_word"}, []string{"word"}, pgx.CopyFromSlice(len(words), func(i int) ([]any, error) {
		return []any{words[i]}, nil
	})); err != nil {
		return rep, fmt.Errorf("copying search words: %w", err)
	}
	// The dictionary only grows: a word no service uses any more matches
	// nothing in the in-memory index.
	if _, err := tx.Exec(ctx, "INSERT INTO search_word (word) SELECT word FROM import_word ON CONFLICT DO NOTHING"); err != nil {
		return rep, fmt.Errorf("adding search words: %w", err)
	}
	slog.DebugContext(ctx, "import: copied", "duration", time.Since(start))
	for _, q := range importSteps {
		t0 := time.Now()
		if _, err := tx.Exec(ctx, q); err != nil {
			return rep, fmt.Errorf("importing (%.40s…): %w", q, err)
		}
		slog.DebugContext(ctx, "import: step", "sql", q[:min(len(q), 50)], "duration", time.Since(t0))
	}
	if err := tx.QueryRow(ctx, "SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) FROM import_changed").
		Scan(&rep.Inserted, &rep.Updated); err != nil {
		return rep, fmt.Errorf("counting changes: %w", err)
	}
	rep.Unchanged = rep.Services - rep.Inserted - rep.Updated
	if opts.Prune {
		tag, err := tx.Exec(ctx, pruneMissing)
		if err != nil {
			return rep, fmt.Errorf("pruning services: %w", err)
		}
		rep.Deleted = int(tag.RowsAffected())
		if _, err := tx.Exec(ctx, pruneOrganisations); err != nil {
			return rep, fmt.Errorf("pruning organisations: %w", err)
		}
	} else {
		tag, err := tx.Exec(ctx, deactivateMissing)
		if err != nil {
			return rep, fmt.Errorf("deactivating absent services: %w", err)
		}
		rep.Deactivated = int(tag.RowsAffected())
	}
	if rep.Inserted+rep.Updated+rep.Deactivated+rep.Deleted > 0 {
		if _, err := tx.Exec(ctx, bumpGeneration); err != nil {
			return rep, fmt.Errorf("bumping the catalogue generation: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, saveVocabulary, vocabFingerprint); err != nil {
		return rep, fmt.Errorf("recording the vocabulary: %w", err)
	}
	if opts.DryRun {
		return rep, nil // the deferred Rollback undoes everything
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("committing the import: %w", err)
	}
	if changed := rep.Inserted + rep.Updated + rep.Deactivated + rep.Deleted; changed > 1000 {
		// Fresh statistics right away: the planner's choice of index for
		// referrals and search depends on them.
		if _, err := s.pool.Exec(ctx, "ANALYZE service"); err != nil {
			slog.WarnContext(ctx, "analyze after import failed", "err", err)
		}
	}
	slog.InfoContext(ctx, "catalogue imported", "services", rep.Services, "inserted", rep.Inserted,
		"updated", rep.Updated, "unchanged", rep.Unchanged, "deactivated", rep.Deactivated,
		"deleted", rep.Deleted, "duration", time.Since(start))
	return rep, nil
}

// stagingRows computes the staging rows of services (normalisation and
// hashing take most of an import's CPU: they run on every core) and the
// distinct words of their search keys, numbers left out (they are matched
// exactly, never looked up by similarity).
func (s *Store) stagingRows(services []*catalogue.Service) ([][]any, []string) {
	rows := make([][]any, len(services))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(services)/1000))
	sets := make([]map[string]bool, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := sha256.New()
			set := map[string]bool{}
			for i := w; i < len(services); i += workers {
				rows[i] = s.stagingRow(i, services[i], h)
				for _, col := range []int{stagingNames, stagingText} {
					for _, word := range strings.Fields(rows[i][col].(string)) {
						if !isDigits(word) {
							set[word] = true
						}
					}
				}
			}
			sets[w] = set
		}()
	}
	wg.Wait()
	all := sets[0]
	for _, set := range sets[1:] {
		for word := range set {
			all[word] = true
		}
	}
	words := make([]string, 0, len(all))
	for word := range all {
		words = append(words, word)
	}
	return rows, words
}

// Positions of the search keys in a staging row.
var (
	stagingNames = slices.Index(stagingColumns, "search_names")
	stagingText  = slices.Index(stagingColumns, "search_text")
)

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// stagingRow is the staging table row of service sv (ord is its position in
// the import). h is reused for the row hash.
func (s *Store) stagingRow(ord int, sv *catalogue.Service, h hash.Hash) []any {
	names, text := searchTexts(sv, s.keywords)
	keys := matchKeys(sv)
	bits := encodeBits(sv)
	var updated any
	if !sv.UpdatedAt.IsZero() {
		updated = sv.UpdatedAt
	}
	var lat, lon any
	if sv.Latitude != nil && sv.Longitude != nil {
		lat, lon = *sv.Latitude, *sv.Longitude
	}
	row := []any{
		ord, sv.ID, sv.Org.ID, sv.Org.NameFR, sv.Org.NameAR, sv.Org.Kind,
		sv.NameFR, sv.NameAR, sv.DescriptionFR, sv.DescriptionAR, sv.ConditionsFR, sv.ConditionsAR,
		sv.Cost, sv.Email, sv.Website,
		nonNil(sv.Needs), nonNil(sv.Stages), nonNil(sv.Forms), nonNil(sv.Publics), nonNil(sv.Sectors),
		nonNil(sv.Provinces), nonNil(sv.Areas), nonNil(sv.Languages),
		keys, bits, names, text,
		sv.Active, updated, sv.Address, sv.City, lat, lon,
		sv.Phone, sv.Hours, sv.AddressAR, sv.HoursAR, "",
	}
	// The hash covers everything stored, derived keys included, so that a
	// change of normaliser or vocabulary rewrites the rows on next import.
	h.Reset()
	for _, v := range row[1 : len(row)-1] {
		switch v := v.(type) {
		case []string:
			for _, x := range v {
				h.Write([]byte(x))
				h.Write([]byte{1})
			}
		case string:
			h.Write([]byte(v))
		case int64:
			h.Write([]byte(strconv.FormatInt(v, 16)))
		case float64:
			h.Write([]byte(strconv.FormatFloat(v, 'g', -1, 64)))
		case bool:
			h.Write([]byte(strconv.FormatBool(v)))
		case time.Time:
			h.Write([]byte(v.Format(catalogue.DateLayout)))
		case nil:
			h.Write([]byte{2})
		}
		h.Write([]byte{0})
	}
	row[len(row)-1] = hex.EncodeToString(h.Sum(nil)[:16])
	return row
}
