package handoff

import (
	"context"
	"sync"
	"time"

	"github.com/dalil-tt/dalil/catalogue"
)

// ServiceNames names services by id for the summary card ("organisation —
// service", in French); ids it does not know are left out.
type ServiceNames func(ctx context.Context, ids []string) (map[string]string, error)

// NamesFrom names services from list (the whole catalogue), read again at
// most every ttl: a handoff is rare and a name changed a few minutes ago
// does no harm on a card, so the catalogue is not read for every card.
func NamesFrom(list func(ctx context.Context) ([]*catalogue.Service, error), ttl time.Duration) ServiceNames {
	var mu sync.Mutex
	var names map[string]string
	var read time.Time
	return func(ctx context.Context, ids []string) (map[string]string, error) {
		mu.Lock()
		defer mu.Unlock()
		if names == nil || time.Since(read) > ttl {
			svcs, err := list(ctx)
			if err != nil {
				return nil, err
			}
			names = make(map[string]string, len(svcs))
			for _, s := range svcs {
				names[s.ID] = serviceLabel(s)
			}
			read = time.Now()
		}
		out := make(map[string]string, len(ids))
		for _, id := range ids {
			if n, ok := names[id]; ok {
				out[id] = n
			}
		}
		return out, nil
	}
}

func serviceLabel(s *catalogue.Service) string {
	org, name := s.Org.NameFR, s.NameFR
	if org == "" {
		org = s.Org.NameAR
	}
	if name == "" {
		name = s.NameAR
	}
	switch {
	case org == "" && name == "":
		return s.ID
	case org == "":
		return name
	case name == "":
		return org
	}
	return org + " — " + name
}

// serviceNames gives the card's names of the services shown, the id of
// any the catalogue does not name (or all of them when it cannot be read).
func (d *Desk) serviceNames(ctx context.Context, ids []string) []string {
	var names map[string]string
	if d.o.Services != nil && len(ids) > 0 {
		var err error
		if names, err = d.o.Services(ctx, ids); err != nil {
			d.log.Warn("naming the services shown; the card lists their ids", "err", err)
		}
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		if n := names[id]; n != "" {
			out[i] = n
		} else {
			out[i] = id
		}
	}
	return out
}
