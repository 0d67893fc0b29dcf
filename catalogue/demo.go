package catalogue

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"
)

// demoCSV is the demonstration catalogue: made-up organisations modelled on
// the kinds that exist in the region, so that nobody takes them for real:
// every organisation name says "(fictif)" / "(مثال خيالي)" ("fictional
// example": تجريبي would read as "pilot"), contacts are example.org e-mails
// and websites only (no phone number, which Telegram would make dialable),
// addresses say "adresse fictive" / "عنوان خيالي" with no map point, and no
// row has updated_at, so no card claims the data was checked. It covers
// every province with every family of need (DemoFamilies), so that
// `dalil chat` and ranking work have something to show everywhere.
//
//go:embed demo.csv
var demoCSV []byte

var demo = sync.OnceValues(func() ([]*Service, error) {
	return ReadCSV(bytes.NewReader(demoCSV), "catalogue/demo.csv")
})

// Demo returns the built-in demonstration catalogue, parsed once. The
// services are shared: do not modify them. It panics if the embedded file
// is broken, which a test rules out.
func Demo() []*Service {
	s, err := demo()
	if err != nil {
		panic(fmt.Sprintf("embedded demo catalogue is invalid:\n%v", err))
	}
	return append([]*Service(nil), s...)
}

// DemoFamilies groups the needs into the families the demo catalogue must
// offer in every province (region-wide services count everywhere): a
// newcomer's first conversation, or a ranking test, finds each kind of help.
var DemoFamilies = map[string][]string{
	"funding":            {"funding.microcredit", "funding.grant", "funding.loan"},
	"coaching, training": {"coaching", "training"},
	"legal, management":  {"legal", "management"},
	"premises":           {"premises"},
	"market, network":    {"marketing", "networking", "procurement"},
	"information":        {"information"},
}
