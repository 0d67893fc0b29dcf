package postgres

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// HSDS 3.0 export: a JSON array of services, each with its organization,
// location (address), phone, schedule, service areas, languages and the
// vocabulary codes as attributes, nested as in HSDS's service_full example.
// It is independent of PostgreSQL (it could move to a catalogue/hsds
// package); it lives here because the export command reads the catalogue
// from the store.
//
// HSDS ids are UUIDs: they are derived (UUID version 5) from Dalil's stable
// text ids, so the same service keeps the same HSDS id across exports.
// HSDS has one language per text: French goes in name and description, the
// Arabic name in alternate_name. The Arabic address and opening hours have
// no HSDS field: each is an attribute of the service linked to the address
// or schedule it translates (link_entity "address" or "schedule", link_type
// the field translated) whose taxonomy term is the language, BCP 47 "ar" in
// taxonomy "bcp47" — HSDS's way to attach what its tables do not model.

// hsdsNamespace is the UUID namespace of Dalil's HSDS ids (a random UUID).
var hsdsNamespace = [16]byte{0x6b, 0x1d, 0x3e, 0x42, 0x9c, 0x55, 0x4f, 0x0a, 0x8e, 0x21, 0x57, 0xd4, 0x03, 0xa9, 0xc6, 0x7f}

// hsdsID returns the UUID (version 5) of kind and id, e.g. ("service", "x").
func hsdsID(kind, id string) string {
	h := sha1.New()
	h.Write(hsdsNamespace[:])
	h.Write([]byte("dalil:" + kind + ":" + id))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

type hsdsService struct {
	ID                     string                  `json:"id"`
	OrganizationID         string                  `json:"organization_id"`
	Name                   string                  `json:"name"`
	AlternateName          string                  `json:"alternate_name,omitempty"`
	Description            string                  `json:"description,omitempty"`
	URL                    string                  `json:"url,omitempty"`
	Email                  string                  `json:"email,omitempty"`
	Status                 string                  `json:"status"`
	FeesDescription        string                  `json:"fees_description,omitempty"`
	EligibilityDescription string                  `json:"eligibility_description,omitempty"`
	AssuredDate            string                  `json:"assured_date,omitempty"`
	Organization           hsdsOrganization        `json:"organization"`
	Phones                 []hsdsPhone             `json:"phones"`
	Schedules              []hsdsSchedule          `json:"schedules"`
	ServiceAreas           []hsdsServiceArea       `json:"service_areas"`
	ServiceAtLocations     []hsdsServiceAtLocation `json:"service_at_locations"`
	Languages              []hsdsLanguage          `json:"languages"`
	Attributes             []hsdsAttribute         `json:"attributes"`
}

type hsdsOrganization struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	AlternateName string `json:"alternate_name,omitempty"`
	Description   string `json:"description"`
	LegalStatus   string `json:"legal_status,omitempty"`
}

type hsdsPhone struct {
	ID        string `json:"id"`
	ServiceID string `json:"service_id"`
	Number    string `json:"number"`
}

type hsdsSchedule struct {
	ID          string `json:"id"`
	ServiceID   string `json:"service_id"`
	Description string `json:"description"`
}

type hsdsServiceArea struct {
	ID         string `json:"id"`
	ServiceID  string `json:"service_id"`
	Name       string `json:"name"`
	ExtentType string `json:"extent_type"`
}

type hsdsServiceAtLocation struct {
	ID         string       `json:"id"`
	ServiceID  string       `json:"service_id"`
	LocationID string       `json:"location_id"`
	Location   hsdsLocation `json:"location"`
}

type hsdsLocation struct {
	ID             string        `json:"id"`
	LocationType   string        `json:"location_type"`
	OrganizationID string        `json:"organization_id"`
	Name           string        `json:"name,omitempty"`
	Latitude       *float64      `json:"latitude,omitempty"`
	Longitude      *float64      `json:"longitude,omitempty"`
	Addresses      []hsdsAddress `json:"addresses"`
}

type hsdsAddress struct {
	ID            string `json:"id"`
	LocationID    string `json:"location_id"`
	Address1      string `json:"address_1"`
	City          string `json:"city"`
	StateProvince string `json:"state_province"`
	PostalCode    string `json:"postal_code"`
	Country       string `json:"country"`
	AddressType   string `json:"address_type"`
}

type hsdsLanguage struct {
	ID        string `json:"id"`
	ServiceID string `json:"service_id"`
	Code      string `json:"code"`
}

type hsdsAttribute struct {
	ID           string           `json:"id"`
	LinkID       string           `json:"link_id"`
	LinkType     string           `json:"link_type"`
	LinkEntity   string           `json:"link_entity"`
	Value        string           `json:"value"`
	TaxonomyTerm hsdsTaxonomyTerm `json:"taxonomy_term"`
}

type hsdsTaxonomyTerm struct {
	ID          string `json:"id"`
	Code        string `json:"code"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Taxonomy    string `json:"taxonomy"`
}

// costFees describes the cost column for HSDS fees_description.
var costFees = map[string]string{"free": "Gratuit", "paid": "Payant", "mixed": "En partie gratuit, en partie payant"}

// ToHSDS converts one service.
func ToHSDS(s *catalogue.Service) any {
	sid := hsdsID("service", s.ID)
	oid := hsdsID("organization", s.Org.ID)
	out := hsdsService{
		ID: sid, OrganizationID: oid,
		Name: s.NameFR, AlternateName: s.NameAR, Description: s.DescriptionFR,
		URL: s.Website, Email: s.Email, Status: "active",
		FeesDescription:        costFees[s.Cost],
		EligibilityDescription: s.ConditionsFR,
		Organization: hsdsOrganization{
			ID: oid, Name: s.Org.NameFR, AlternateName: s.Org.NameAR,
			Description: s.Org.NameFR, LegalStatus: s.Org.Kind,
		},
		Phones: []hsdsPhone{}, Schedules: []hsdsSchedule{}, ServiceAreas: []hsdsServiceArea{},
		ServiceAtLocations: []hsdsServiceAtLocation{}, Languages: []hsdsLanguage{}, Attributes: []hsdsAttribute{},
	}
	if !s.Active {
		out.Status = "inactive"
	}
	if !s.UpdatedAt.IsZero() {
		out.AssuredDate = s.UpdatedAt.Format(time.DateOnly)
	}
	if s.Phone != "" {
		out.Phones = append(out.Phones, hsdsPhone{ID: hsdsID("phone", s.ID), ServiceID: sid, Number: s.Phone})
	}
	if s.Hours != "" || s.HoursAR != "" {
		scid := hsdsID("schedule", s.ID)
		out.Schedules = append(out.Schedules, hsdsSchedule{ID: scid, ServiceID: sid, Description: s.Hours})
		if s.HoursAR != "" {
			out.Attributes = append(out.Attributes, arabicAttribute(s.ID+":hours", scid, "schedule", "description", s.HoursAR))
		}
	}
	for _, p := range s.Provinces {
		out.ServiceAreas = append(out.ServiceAreas, hsdsServiceArea{ID: hsdsID("service_area", s.ID+":"+p), ServiceID: sid, Name: p, ExtentType: "province"})
	}
	for _, l := range s.Languages {
		out.Languages = append(out.Languages, hsdsLanguage{ID: hsdsID("language", s.ID+":"+l), ServiceID: sid, Code: l})
	}
	if s.Address != "" || s.AddressAR != "" || s.City != "" || s.Latitude != nil {
		lid := hsdsID("location", s.ID)
		loc := hsdsLocation{ID: lid, LocationType: "physical", OrganizationID: oid, Name: s.City,
			Latitude: s.Latitude, Longitude: s.Longitude, Addresses: []hsdsAddress{}}
		if s.Address != "" || s.AddressAR != "" || s.City != "" {
			aid := hsdsID("address", s.ID)
			loc.Addresses = append(loc.Addresses, hsdsAddress{ID: aid, LocationID: lid,
				Address1: s.Address, City: s.City, StateProvince: "Tanger-Tétouan-Al Hoceïma", PostalCode: "",
				Country: "MA", AddressType: "physical"})
			if s.AddressAR != "" {
				out.Attributes = append(out.Attributes, arabicAttribute(s.ID+":address", aid, "address", "address_1", s.AddressAR))
			}
		}
		out.ServiceAtLocations = append(out.ServiceAtLocations, hsdsServiceAtLocation{
			ID: hsdsID("service_at_location", s.ID), ServiceID: sid, LocationID: lid, Location: loc})
	}
	for _, f := range vocab.Facets {
		for _, c := range s.Facet(f) {
			out.Attributes = append(out.Attributes, hsdsAttribute{
				ID: hsdsID("attribute", s.ID+":"+string(f)+":"+c), LinkID: sid, LinkType: "service", LinkEntity: "service",
				Value: c,
				TaxonomyTerm: hsdsTaxonomyTerm{ID: hsdsID("taxonomy_term", string(f)+":"+c), Code: c, Name: c,
					Description: "Dalil vocabulary, facet " + string(f), Taxonomy: "dalil-" + strings.ReplaceAll(string(f), "_", "-")},
			})
		}
	}
	return out
}

// arabicAttribute is the Arabic text of field of the HSDS entity (address,
// schedule) whose id is linkID; key makes its own id stable.
func arabicAttribute(key, linkID, entity, field, text string) hsdsAttribute {
	return hsdsAttribute{
		ID: hsdsID("attribute", key+":ar"), LinkID: linkID, LinkType: field, LinkEntity: entity, Value: text,
		TaxonomyTerm: hsdsTaxonomyTerm{ID: hsdsID("taxonomy_term", "bcp47:ar"), Code: "ar", Name: "Arabic",
			Description: "Language of the attribute's value (a translation of the linked field)", Taxonomy: "bcp47"},
	}
}

// WriteHSDS writes services as a JSON array of HSDS 3.0 services.
func WriteHSDS(w io.Writer, services []*catalogue.Service) error {
	list := make([]any, len(services))
	for i, s := range services {
		list[i] = ToHSDS(s)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(list); err != nil {
		return fmt.Errorf("writing HSDS: %w", err)
	}
	return nil
}
