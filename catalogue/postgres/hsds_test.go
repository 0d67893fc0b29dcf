package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/catalogtest"
	"github.com/dalil-tt/dalil/catalogue/postgres"
)

// hsdsSchemaDir is where the HSDS 3.0 schemas are vendored (see
// testdata/hsds-3.0/README.md for their source and licence).
const hsdsSchemaDir = "testdata/hsds-3.0/schema"

// hsdsServiceSchema compiles HSDS's service.json (and what it references),
// asserting formats (uuid, email, uri…).
func hsdsServiceSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(filepath.Join(hsdsSchemaDir, "service.json"))
	if err != nil {
		t.Fatalf("compiling the HSDS service schema: %v", err)
	}
	return sch
}

func TestHSDSExportValidates(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t, "")
	mustImport(t, st, append(catalogue.Demo(), catalogtest.Fixture()...), postgres.ImportOptions{})
	svcs, err := st.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := postgres.WriteHSDS(&buf, svcs); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	list, ok := doc.([]any)
	if !ok || len(list) != len(svcs) {
		t.Fatalf("export is not an array of %d services", len(svcs))
	}
	sch := hsdsServiceSchema(t)
	withLocation, arabic := 0, 0
	for i, v := range list {
		if err := sch.Validate(v); err != nil {
			t.Fatalf("service %s does not validate against HSDS 3.0: %v", svcs[i].ID, err)
		}
		m := v.(map[string]any)
		if len(m["service_at_locations"].([]any)) > 0 {
			withLocation++
		}
		// The Arabic address and hours travel as attributes tagged "ar",
		// linked to the address and schedule they translate.
		for _, a := range m["attributes"].([]any) {
			a := a.(map[string]any)
			if a["taxonomy_term"].(map[string]any)["code"] != "ar" {
				continue
			}
			want := map[string]string{"address": svcs[i].AddressAR, "schedule": svcs[i].HoursAR}[a["link_entity"].(string)]
			if want == "" || a["value"] != want {
				t.Errorf("service %s: Arabic attribute %v, want %q", svcs[i].ID, a, want)
			}
			arabic++
		}
	}
	if arabic == 0 {
		t.Error("no Arabic address or hours in the export")
	}
	if withLocation == 0 {
		t.Error("no exported service has a location: the nested location/address were not exercised")
	}

	// The validator does reject wrong services: status is required, ids
	// are UUIDs, nested organisations are checked too.
	for name, spoil := range map[string]func(m map[string]any){
		"no status":         func(m map[string]any) { delete(m, "status") },
		"id not a UUID":     func(m map[string]any) { m["id"] = "oress-orientation" },
		"organisation name": func(m map[string]any) { delete(m["organization"].(map[string]any), "name") },
	} {
		v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(mustJSON(t, list[0])))
		spoil(v.(map[string]any))
		if err := sch.Validate(v); err == nil {
			t.Errorf("a service with %s validated: the schema check is not working", name)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
