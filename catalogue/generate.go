package catalogue

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dalil-tt/dalil/internal/vocab"
)

// provinceCentres are rough centres of the region's provinces, for
// synthetic coordinates.
var provinceCentres = map[string][2]float64{
	"tanger-assilah": {35.76, -5.83},
	"mdiq-fnideq":    {35.68, -5.33},
	"tetouan":        {35.57, -5.37},
	"fahs-anjra":     {35.76, -5.52},
	"larache":        {35.19, -6.15},
	"chefchaouen":    {35.17, -5.27},
	"ouezzane":       {34.80, -5.58},
	"al-hoceima":     {35.25, -3.93},
}

var generatedCities = map[string]string{
	"tanger-assilah": "Tanger", "mdiq-fnideq": "M'diq", "tetouan": "Tétouan", "fahs-anjra": "Ksar Sghir",
	"larache": "Larache", "chefchaouen": "Chefchaouen", "ouezzane": "Ouezzane", "al-hoceima": "Al Hoceïma",
}

// Generate returns a synthetic catalogue of n valid services for benchmarks
// and load tests, the same for the same seed: organisations of 1 to 4
// services, one to three needs each (funding the most common), about one
// service in five region-wide and the others in one to three provinces,
// half with no sector restriction, most open to all publics, about half with
// coordinates near their province's centre.
func Generate(n int, seed int64) []*Service {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	needs := vocab.Values[vocab.Needs]
	// Funding needs are asked most; weight them up.
	needPool := append(slices.Clone(needs), "funding.microcredit", "funding.grant", "funding.loan", "coaching", "training", "information")
	some := func(f vocab.Facet, pEmpty float64, most int) []string {
		if rng.Float64() < pEmpty {
			return nil
		}
		vals := vocab.Values[f]
		k := 1 + rng.IntN(min(most, len(vals)))
		var set []string
		for _, i := range rng.Perm(len(vals))[:k] {
			set = append(set, vals[i])
		}
		return canonical(f, set)
	}
	out := make([]*Service, 0, n)
	var org Organisation
	left := 0
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		if left == 0 {
			k := len(out)
			org = Organisation{
				ID:     fmt.Sprintf("gen-org-%d", k),
				NameFR: fmt.Sprintf("Organisation synthétique %d", k),
				NameAR: fmt.Sprintf("منظمة تجريبية %d", k),
				Kind:   OrgKinds[rng.IntN(len(OrgKinds))],
			}
			left = 1 + rng.IntN(4)
		}
		left--
		s := &Service{
			ID:            fmt.Sprintf("gen-%07d", i),
			Org:           org,
			NameFR:        fmt.Sprintf("Service synthétique %d", i),
			NameAR:        fmt.Sprintf("خدمة تجريبية %d", i),
			DescriptionFR: "Service généré pour les essais de charge.",
			DescriptionAR: "خدمة مولدة لاختبارات الأداء.",
			Active:        true,
		}
		var ns []string
		for range 1 + rng.IntN(3) {
			ns = append(ns, needPool[rng.IntN(len(needPool))])
		}
		s.Needs = canonical(vocab.Needs, ns)
		s.Stages = some(vocab.Stages, 0.5, 2)
		s.Forms = some(vocab.Forms, 0.5, 3)
		s.Publics = some(vocab.Publics, 0.75, 2)
		s.Sectors = some(vocab.Sectors, 0.5, 4)
		s.Areas = some(vocab.Areas, 0.6, 1)
		s.Languages = some(vocab.Languages, 0.1, 3)
		if rng.IntN(5) == 0 {
			s.Provinces = slices.Clone(vocab.Values[vocab.Provinces])
		} else {
			s.Provinces = some(vocab.Provinces, 0, 3)
		}
		s.Cost = []string{"", "free", "paid", "mixed"}[rng.IntN(4)]
		home := s.Provinces[rng.IntN(len(s.Provinces))]
		s.City = generatedCities[home]
		if rng.IntN(2) == 0 {
			c := provinceCentres[home]
			lat := float64(int((c[0]+rng.Float64()*0.1-0.05)*1e4)) / 1e4
			lon := float64(int((c[1]+rng.Float64()*0.1-0.05)*1e4)) / 1e4
			s.Latitude, s.Longitude = &lat, &lon
		}
		switch rng.IntN(3) {
		case 0:
			s.Phone = fmt.Sprintf("+2125390%05d", rng.IntN(100000))
		case 1:
			s.Email = fmt.Sprintf("contact%d@example.org", i)
		default:
			s.Phone = fmt.Sprintf("+2126%08d", rng.IntN(100000000))
			s.Website = fmt.Sprintf("https://example.org/s/%d", i)
		}
		if rng.IntN(2) == 0 {
			s.UpdatedAt = base.AddDate(0, 0, rng.IntN(330))
		}
		out = append(out, s)
	}
	return out
}
