package partners

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/lang"
)

// Catalogue names organisations and services from the whole catalogue,
// read again at most every TTL (a name changed minutes ago does no harm on
// a card), and lists the organisations for the digest.
type Catalogue struct {
	List func(ctx context.Context) ([]*catalogue.Service, error)
	TTL  time.Duration

	mu   sync.Mutex
	read time.Time
	svcs map[string]*catalogue.Service
	orgs map[string]catalogue.Organisation
}

func (c *Catalogue) load(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.svcs != nil && time.Since(c.read) < c.TTL {
		return
	}
	list, err := c.List(ctx)
	if err != nil {
		return // the last names read, or ids
	}
	c.svcs, c.orgs, c.read = map[string]*catalogue.Service{}, map[string]catalogue.Organisation{}, time.Now()
	for _, s := range list {
		c.svcs[s.ID] = s
		c.orgs[s.Org.ID] = s.Org
	}
}

func pick(l lang.Lang, fr, ar string) string {
	if l != lang.FR && ar != "" {
		return ar
	}
	return fr
}

// Org is the organisation's name in l ("" when unknown).
func (c *Catalogue) Org(ctx context.Context, id string, l lang.Lang) string {
	c.load(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.orgs[id]
	return pick(l, o.NameFR, o.NameAR)
}

// Service is the service's name in l ("" when unknown).
func (c *Catalogue) Service(ctx context.Context, id string, l lang.Lang) string {
	c.load(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.svcs[id]
	if s == nil {
		return ""
	}
	return pick(l, s.NameFR, s.NameAR)
}

// Orgs lists the organisations' ids (Options.Orgs).
func (c *Catalogue) Orgs(ctx context.Context) ([]string, error) {
	list, err := c.List(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range list {
		ids = append(ids, s.Org.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}
