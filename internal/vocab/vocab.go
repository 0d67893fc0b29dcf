// Package vocab holds the shared vocabulary of DESIGN.md: the codes that tree
// answers, free-text understanding and catalogue rows all speak.
package vocab

import (
	"fmt"
	"slices"
	"strings"
)

// Facet names one dimension of the vocabulary.
type Facet string

const (
	Needs     Facet = "needs"
	Stages    Facet = "stages"
	Forms     Facet = "forms"
	Publics   Facet = "publics"
	Sectors   Facet = "sectors"
	Provinces Facet = "provinces"
	Areas     Facet = "areas"
	Languages Facet = "languages" // spoken at a service; not asked in the tree
)

// Facets lists the facets a project holder's answers fill, in display order.
var Facets = []Facet{Needs, Stages, Forms, Publics, Sectors, Provinces, Areas}

// SingleValued lists the facets a project holder has one value of: one
// project is at one stage, has one legal form, lies in one province and in
// one kind of area, so a value stated later replaces the earlier one in
// what the conversation knows. Needs, publics and sectors add up. Catalogue
// rows are not concerned: a service may serve several stages, forms…
var SingleValued = []Facet{Stages, Forms, Provinces, Areas}

// Values lists every code of each facet.
var Values = map[Facet][]string{
	Needs: {"funding", "funding.microcredit", "funding.grant", "funding.loan", "coaching", "training",
		"information", "legal", "premises", "management", "marketing", "procurement", "networking"},
	Stages:    {"idea", "creation", "development"},
	Forms:     {"individual", "auto_entrepreneur", "cooperative", "association", "company", "informal"},
	Publics:   {"youth", "women", "graduates", "disabled", "rural", "migrants"},
	Sectors:   {"agriculture", "fishing", "crafts", "tourism", "agrifood", "commerce", "services", "industry", "digital", "culture", "environment", "social"},
	Provinces: {"tanger-assilah", "mdiq-fnideq", "tetouan", "fahs-anjra", "larache", "chefchaouen", "ouezzane", "al-hoceima"},
	Areas:     {"urban", "rural"},
	Languages: {"ar", "ary", "fr", "es", "en", "rif"},
}

// Valid reports whether code belongs to facet f. The bare need "funding" is
// valid: it stands for every funding.* need.
func Valid(f Facet, code string) bool {
	return slices.Contains(Values[f], code)
}

// ParseFacet returns the facet named s.
func ParseFacet(s string) (Facet, error) {
	f := Facet(s)
	if _, ok := Values[f]; !ok {
		return "", fmt.Errorf("unknown facet %q", s)
	}
	return f, nil
}

// NeedCovers reports whether a query for need q is answered by a service
// offering need s: "funding" covers "funding.grant", and the other way round
// a service offering generic "funding" answers a query for "funding.grant".
func NeedCovers(q, s string) bool {
	return q == s || strings.HasPrefix(s, q+".") || strings.HasPrefix(q, s+".")
}

// Codes is what is known of a project, facet by facet. It is the unit the
// tree fills, free text expresses and catalogue queries filter on.
type Codes struct {
	Needs     []string `json:"needs"`
	Stages    []string `json:"stages"`
	Forms     []string `json:"forms"`
	Publics   []string `json:"publics"`
	Sectors   []string `json:"sectors"`
	Provinces []string `json:"provinces"`
	Areas     []string `json:"areas"`
}

// ptr returns the slice of facet f, or nil for a facet Codes does not hold.
func (c *Codes) ptr(f Facet) *[]string {
	switch f {
	case Needs:
		return &c.Needs
	case Stages:
		return &c.Stages
	case Forms:
		return &c.Forms
	case Publics:
		return &c.Publics
	case Sectors:
		return &c.Sectors
	case Provinces:
		return &c.Provinces
	case Areas:
		return &c.Areas
	}
	return nil
}

// Get returns the codes of facet f.
func (c Codes) Get(f Facet) []string {
	if p := c.ptr(f); p != nil {
		return *p
	}
	return nil
}

// Has reports whether facet f holds at least one code.
func (c Codes) Has(f Facet) bool { return len(c.Get(f)) > 0 }

// Add appends codes to facet f, skipping ones already there. A more precise
// need replaces a broader one ("funding.grant" replaces "funding").
func (c *Codes) Add(f Facet, codes ...string) {
	p := c.ptr(f)
	if p == nil {
		return
	}
	for _, code := range codes {
		if code == "" || slices.Contains(*p, code) {
			continue
		}
		if f == Needs {
			if slices.ContainsFunc(*p, func(have string) bool { return strings.HasPrefix(have, code+".") }) {
				continue // a more precise need is already known
			}
			*p = slices.DeleteFunc(*p, func(have string) bool { return strings.HasPrefix(code, have+".") })
		}
		*p = append(*p, code)
	}
}

// Set replaces facet f with codes.
func (c *Codes) Set(f Facet, codes ...string) {
	if p := c.ptr(f); p != nil {
		*p = slices.Clone(codes)
	}
}

// Merge adds every code of o.
func (c *Codes) Merge(o Codes) {
	for _, f := range Facets {
		c.Add(f, o.Get(f)...)
	}
}

// Remove deletes the codes of o from c (used to undo an answer).
func (c *Codes) Remove(o Codes) {
	for _, f := range Facets {
		p := c.ptr(f)
		rm := o.Get(f)
		*p = slices.DeleteFunc(*p, func(s string) bool { return slices.Contains(rm, s) })
		if len(*p) == 0 {
			*p = nil
		}
	}
}

// Empty reports whether no facet holds a code.
func (c Codes) Empty() bool {
	for _, f := range Facets {
		if c.Has(f) {
			return false
		}
	}
	return true
}

// Clone returns a deep copy.
func (c Codes) Clone() Codes {
	var o Codes
	for _, f := range Facets {
		if v := c.Get(f); len(v) > 0 {
			o.Set(f, v...)
		}
	}
	return o
}

// Normalized returns a copy whose facets are all non-nil and sorted, for
// stable JSON output and comparisons.
func (c Codes) Normalized() Codes {
	var o Codes
	for _, f := range Facets {
		v := slices.Clone(c.Get(f))
		if v == nil {
			v = []string{}
		}
		slices.Sort(v)
		*o.ptr(f) = v
	}
	return o
}

// Validate returns an error naming every code outside the vocabulary.
func (c Codes) Validate() error {
	var bad []string
	for _, f := range Facets {
		for _, code := range c.Get(f) {
			if !Valid(f, code) {
				bad = append(bad, fmt.Sprintf("%s %q", f, code))
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("codes outside the vocabulary: %s", strings.Join(bad, ", "))
	}
	return nil
}

// needFamilies groups the needs that can stand in for one another when the
// need asked is nowhere to be found: a loan or a grant for a microcredit.
var needFamilies = [][]string{
	{"funding", "funding.microcredit", "funding.grant", "funding.loan"},
	{"coaching", "training"},
	{"legal", "management"},
	{"marketing", "procurement", "networking"},
	{"premises"},
	{"information"},
}

// NeedFamily returns the needs of need's family, need included (nil for a
// code outside the vocabulary).
func NeedFamily(need string) []string {
	for _, f := range needFamilies {
		if slices.Contains(f, need) {
			return f
		}
	}
	return nil
}

// NeedHelpers returns the needs of services that help reach need when no
// service answers it: coaching to prepare a funding request or a tender,
// orientation to find the right office. Widening tries them after the
// need's family.
func NeedHelpers(need string) []string {
	switch {
	case need == "funding" || strings.HasPrefix(need, "funding."):
		return []string{"coaching", "management", "information"}
	case need == "procurement":
		return []string{"coaching", "management", "information"}
	case need == "coaching" || need == "training":
		return []string{"information", "networking"}
	case need == "information":
		return []string{"coaching"}
	default:
		return []string{"coaching", "information"}
	}
}
