// Package catalogtest holds the ranking test table that every catalogue
// implementation runs: the in-memory one and the PostgreSQL one load
// Fixture, run each of Cases through their Match, and must return exactly
// the Want service ids in order, with the Relaxed facets.
package catalogtest

import (
	"slices"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Case is one referral and its expected answer.
type Case struct {
	Name    string
	Query   catalogue.Query
	Want    []string      // service ids, best first
	Relaxed []vocab.Facet // preferences the ranking had to drop, in order
	Widened catalogue.NeedLevel
}

// all returns every code of facet f (a region-wide, all-sectors… service).
func all(f vocab.Facet) []string { return slices.Clone(vocab.Values[f]) }

func codes(c ...string) []string { return c }

// Fixture returns a small catalogue, freshly allocated at each call, built
// to exercise each rule of the ranking. Every service is valid for ReadCSV.
func Fixture() []*catalogue.Service {
	org := func(id string) catalogue.Organisation {
		return catalogue.Organisation{ID: id, NameFR: "Organisation " + id, NameAR: "منظمة " + id, Kind: "association"}
	}
	svc := func(id, o string, needs []string, set func(s *catalogue.Service)) *catalogue.Service {
		s := &catalogue.Service{
			ID: id, Org: org(o), NameFR: "Service " + id, NameAR: "خدمة " + id,
			Needs: needs, Provinces: all(vocab.Provinces),
			Phone: "+212539000000", Active: true,
		}
		if set != nil {
			set(s)
		}
		return s
	}
	return []*catalogue.Service{
		svc("mc-tanger", "micro", codes("funding.microcredit"), func(s *catalogue.Service) {
			s.Provinces = codes("tanger-assilah")
			s.Sectors = codes("crafts", "commerce")
			s.Stages = codes("creation")
			s.Forms = codes("individual", "informal")
		}),
		svc("mc-women-rural", "micro", codes("funding.microcredit"), func(s *catalogue.Service) {
			s.Provinces = codes("chefchaouen", "al-hoceima")
			s.Publics = codes("women", "rural")
			s.Areas = codes("rural")
		}),
		svc("grant-youth-all", "youth", codes("funding.grant", "coaching"), func(s *catalogue.Service) {
			s.Publics = codes("youth")
		}),
		svc("grant-generic", "fund", codes("funding"), nil),
		svc("loan-bank", "bank", codes("funding.loan"), func(s *catalogue.Service) {
			s.Provinces = codes("tanger-assilah", "tetouan")
			s.Forms = codes("company")
			s.Cost = "paid"
		}),
		svc("coop-legal", "coop", codes("legal"), func(s *catalogue.Service) {
			s.Forms = codes("cooperative", "informal")
		}),
		svc("crafts-card", "crafts", codes("legal"), func(s *catalogue.Service) {
			s.Sectors = codes("crafts")
		}),
		svc("incubator", "incub", codes("coaching", "premises"), func(s *catalogue.Service) {
			s.Provinces = codes("tanger-assilah")
			s.Sectors = codes("services", "digital")
			s.Stages = codes("idea", "creation")
			s.Areas = codes("urban")
		}),
		svc("training-tetouan", "train", codes("training", "management"), func(s *catalogue.Service) {
			s.Provinces = codes("tetouan")
			s.Areas = codes("urban")
		}),
		svc("marketing-open", "market", codes("marketing"), func(s *catalogue.Service) {
			s.Provinces = codes("tetouan")
		}),
		svc("marketing-women", "market", codes("marketing"), func(s *catalogue.Service) {
			s.Publics = codes("women")
		}),
		svc("procure", "chamber", codes("procurement"), func(s *catalogue.Service) {
			s.Stages = codes("development")
		}),
		svc("network-youth", "youth", codes("networking"), func(s *catalogue.Service) {
			s.Provinces = codes("tetouan")
			s.Publics = codes("youth")
		}),
		svc("inactive-info", "fund", codes("funding.grant", "information"), func(s *catalogue.Service) {
			s.Provinces = codes("tanger-assilah")
			s.Active = false
		}),
	}
}

// q builds a query from facet/codes pairs.
func q(limit int, pairs ...any) catalogue.Query {
	var c vocab.Codes
	for i := 0; i < len(pairs); i += 2 {
		c.Set(pairs[i].(vocab.Facet), pairs[i+1].([]string)...)
	}
	return catalogue.Query{Codes: c, Limit: limit}
}

// not adds codes known not to hold to a query.
func not(q catalogue.Query, f vocab.Facet, codes ...string) catalogue.Query {
	q.Not.Set(f, codes...)
	return q
}

// Cases returns the ranking table (see the package comment).
func Cases() []Case {
	N, P, Pu, S, St, F, A := vocab.Needs, vocab.Provinces, vocab.Publics, vocab.Sectors, vocab.Stages, vocab.Forms, vocab.Areas
	return []Case{
		{
			Name:  "funding covers every funding.* need; reserved services hidden while the public is unknown; restricted to a stage, form or sector not known after open ones",
			Query: q(10, N, codes("funding"), P, codes("tanger-assilah")),
			Want:  codes("grant-generic", "loan-bank", "mc-tanger"),
		},
		{
			Name:  "precise need before the generic funding service, for someone of its public",
			Query: q(0, N, codes("funding.grant"), Pu, codes("youth")),
			Want:  codes("grant-youth-all", "grant-generic"),
		},
		{
			Name:  "inactive services are never shown",
			Query: q(0, N, codes("funding.grant"), P, codes("tanger-assilah"), Pu, codes("youth")),
			Want:  codes("grant-youth-all", "grant-generic", "loan-bank"),
		},
		{
			Name:  "province filter; local service before region-wide one; fewer than three filled from the need's family",
			Query: q(0, N, codes("funding.microcredit"), P, codes("tanger-assilah")),
			Want:  codes("mc-tanger", "grant-generic", "loan-bank"),
		},
		{
			Name:  "generic funding answers a precise need anywhere; a service for rural women is not for a town dweller not known to be a woman",
			Query: q(0, N, codes("funding.microcredit"), A, codes("urban"), P, codes("chefchaouen")),
			Want:  codes("grant-generic"),
		},
		{
			Name:  "living in a rural area makes one of the rural public",
			Query: q(0, N, codes("funding.microcredit"), A, codes("rural"), P, codes("chefchaouen")),
			Want:  codes("mc-women-rural", "grant-generic"),
		},
		{
			Name:  "user's public and province boost; paid loan after free grants",
			Query: q(0, N, codes("funding"), Pu, codes("youth"), P, codes("tetouan")),
			Want:  codes("grant-youth-all", "grant-generic", "loan-bank"),
		},
		{
			Name:  "a service of some provinces only is hidden while the province is unknown",
			Query: q(0, N, codes("funding")),
			Want:  codes("grant-generic"),
		},
		{
			Name:  "women-only service hidden when no public is stated",
			Query: q(0, N, codes("marketing"), P, codes("tetouan")),
			Want:  codes("marketing-open", "procure"),
		},
		{
			Name:  "women-only service hidden from a man",
			Query: not(q(0, N, codes("marketing"), P, codes("tetouan")), Pu, "women"),
			Want:  codes("marketing-open", "procure"),
		},
		{
			Name:  "for a woman, the service of her province first, then the region-wide one reserved to women",
			Query: q(0, N, codes("marketing"), Pu, codes("women"), P, codes("tetouan")),
			Want:  codes("marketing-open", "marketing-women", "procure"),
		},
		{
			Name:  "youth-only service excluded for women",
			Query: q(0, N, codes("coaching"), Pu, codes("women"), P, codes("tanger-assilah")),
			Want:  codes("incubator"),
		},
		{
			Name:  "specific legal form first",
			Query: q(0, N, codes("legal"), F, codes("cooperative")),
			Want:  codes("coop-legal", "crafts-card"),
		},
		{
			Name:  "specific sector first",
			Query: q(0, N, codes("legal"), S, codes("crafts")),
			Want:  codes("crafts-card", "coop-legal"),
		},
		{
			Name:  "stage and province specific first",
			Query: q(0, N, codes("coaching"), St, codes("idea"), S, codes("digital"), P, codes("tanger-assilah"), Pu, codes("youth")),
			Want:  codes("incubator", "grant-youth-all"),
		},
		{
			Name:  "a service naming the area and the province fits without relaxing",
			Query: q(0, N, codes("training"), A, codes("urban"), F, codes("company"), P, codes("tetouan")),
			Want:  codes("training-tetouan"),
		},
		{
			Name:    "relax a preference: areas",
			Query:   q(0, N, codes("training"), A, codes("rural"), P, codes("tetouan")),
			Want:    codes("training-tetouan"),
			Relaxed: []vocab.Facet{A},
		},
		{
			Name:    "relax stages",
			Query:   q(0, N, codes("procurement"), St, codes("idea"), P, codes("larache")),
			Want:    codes("procure"),
			Relaxed: []vocab.Facet{St},
		},
		{
			Name:  "provinces are never relaxed: nothing nearby is an empty result",
			Query: q(0, N, codes("premises"), S, codes("agriculture"), P, codes("larache")),
			Want:  nil,
		},
		{
			Name:    "the need widens within its family, never the public or the province",
			Query:   q(0, N, codes("networking"), Pu, codes("women"), P, codes("larache")),
			Want:    codes("marketing-women", "procure"),
			Widened: catalogue.NeedFamily,
		},
		{
			Name:    "then to services that help reach it",
			Query:   q(0, N, codes("information"), P, codes("tanger-assilah")),
			Want:    codes("incubator"),
			Widened: catalogue.NeedHelp,
		},
		{
			Name:  "nothing the person may use: an empty result",
			Query: q(0, N, codes("information"), P, codes("tetouan")),
			Want:  nil,
		},
		{
			Name:  "limit caps the matches",
			Query: q(2, N, codes("funding"), P, codes("tanger-assilah")),
			Want:  codes("grant-generic", "loan-bank"),
		},
		{
			Name:  "empty query: region-wide free services, the least restricted first",
			Query: q(0),
			Want:  codes("grant-generic", "procure", "coop-legal", "crafts-card"),
		},
	}
}
