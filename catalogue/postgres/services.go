package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/catalogue"
)

// selectServices reads services back in the shape of catalogue.Service.
const selectServices = `SELECT s.id, o.id, o.name, o.name_ar, o.kind,
	s.name, s.name_ar, s.description, s.description_ar,
	s.needs, s.stages, s.forms, s.publics, s.sectors, s.provinces, s.areas,
	s.languages,
	s.cost, s.eligibility_description, s.eligibility_description_ar,
	s.address, s.city, s.latitude, s.longitude, s.phone, s.email, s.url, s.hours,
	s.updated_at, s.active, s.address_ar, s.hours_ar
FROM service s
JOIN organization o ON o.id = s.organization_id
`

func scanService(row pgx.Row) (*catalogue.Service, error) {
	var sv catalogue.Service
	var updated *time.Time
	err := row.Scan(&sv.ID, &sv.Org.ID, &sv.Org.NameFR, &sv.Org.NameAR, &sv.Org.Kind,
		&sv.NameFR, &sv.NameAR, &sv.DescriptionFR, &sv.DescriptionAR,
		&sv.Needs, &sv.Stages, &sv.Forms, &sv.Publics, &sv.Sectors, &sv.Provinces, &sv.Areas, &sv.Languages,
		&sv.Cost, &sv.ConditionsFR, &sv.ConditionsAR,
		&sv.Address, &sv.City, &sv.Latitude, &sv.Longitude,
		&sv.Phone, &sv.Email, &sv.Website, &sv.Hours, &updated, &sv.Active, &sv.AddressAR, &sv.HoursAR)
	if err != nil {
		return nil, err
	}
	if updated != nil {
		sv.UpdatedAt = time.Date(updated.Year(), updated.Month(), updated.Day(), 0, 0, 0, 0, time.UTC)
	}
	// Empty facets read back as nil, as the file reader gives them.
	for _, p := range []*[]string{&sv.Needs, &sv.Stages, &sv.Forms, &sv.Publics, &sv.Sectors, &sv.Provinces, &sv.Areas, &sv.Languages} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	return &sv, nil
}

// Services returns every stored service, active or not, by id.
func (s *Store) Services(ctx context.Context) ([]*catalogue.Service, error) {
	rows, err := s.pool.Query(ctx, selectServices+` ORDER BY s.id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("reading services: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*catalogue.Service, error) { return scanService(r) })
	if err != nil {
		return nil, fmt.Errorf("reading services: %w", err)
	}
	return out, nil
}

// Find returns the services of ids, active or not, by id (catalogue.Finder).
func (s *Store) Find(ctx context.Context, ids []string) (map[string]*catalogue.Service, error) {
	return s.servicesByID(ctx, ids)
}

// servicesByID returns the services with the given ids, in no order.
func (s *Store) servicesByID(ctx context.Context, ids []string) (map[string]*catalogue.Service, error) {
	rows, err := s.pool.Query(ctx, selectServices+` WHERE s.id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading services: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*catalogue.Service, error) { return scanService(r) })
	if err != nil {
		return nil, fmt.Errorf("reading services: %w", err)
	}
	m := make(map[string]*catalogue.Service, len(list))
	for _, sv := range list {
		m[sv.ID] = sv
	}
	return m, nil
}

// Count returns how many services are active (cheaper than Services to
// tell an empty catalogue).
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM service WHERE active").Scan(&n); err != nil {
		return 0, fmt.Errorf("counting services: %w", err)
	}
	return n, nil
}
