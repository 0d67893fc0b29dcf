package catalogue

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"
)

// demoCSV is the demonstration catalogue: made-up organisations modelled on
// the kinds that exist in the region, marked "(démo)" / "(تجريبي)", with
// example.org addresses and +212 5 39 00 00 xx phones, so that nobody takes
// them for real contacts.
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
