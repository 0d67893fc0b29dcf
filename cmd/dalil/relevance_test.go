package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const relevanceHeader = "org_id,org_name_fr,org_name_ar,org_kind,service_id,service_name_fr,service_name_ar,description_fr,description_ar,needs,stages,forms,publics,sectors,provinces,areas,languages,cost,conditions_fr,conditions_ar,address,city,latitude,longitude,phone,email,website,hours,updated_at\n"

// relevanceRow is a service offering a microcredit everywhere, reserved
// to publics when given.
func relevanceRow(id, publics string) string {
	return "t-org,Org (fictif),,microfinance," + id + ",Microcrédit " + id + ",,,,funding.microcredit,,," + publics + ",,*,,,,,,,,,,,t-org@example.org,,,\n"
}

const relevancePersonas = `personas:
  - id: homme-tetouan
    lang: fr
    text: "bonjour je suis un homme a Tetouan et je cherche un microcredit pour mon epicerie"
    facts: {needs: [funding.microcredit], stages: [creation], forms: [individual], sectors: [commerce], provinces: [tetouan], areas: [urban]}
    ideal: [t-open]
    why: "a man: never the women's microcredit"
`

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRelevanceOnATinySet(t *testing.T) {
	personas := writeTemp(t, "personas.yaml", relevancePersonas)

	// Only a service he may use: perfect figures, exit 0; with a catalogue
	// of one microcredit, only the need is worth asking.
	clean := writeTemp(t, "clean.csv", relevanceHeader+relevanceRow("t-open", ""))
	code, out, errs := runCmd(t, "", "relevance", "-v", "-personas", personas, "-catalogue", clean)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	for _, want := range []string{"mode free-text", "mode buttons", "personas                         1", "mean nDCG@3                      1.000",
		"first card ideal                 100.0% (1/1)", "harmful shown in top 3           0", "median 1, worst 1", "homme-tetouan", "*t-open"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// A microcredit reserved to women beside it: never shown to a man.
	women := writeTemp(t, "women.csv", relevanceHeader+relevanceRow("t-open", "")+relevanceRow("t-women", "women"))
	code, out, _ = runCmd(t, "", "relevance", "-v", "-personas", personas, "-catalogue", women)
	if code != 0 || strings.Contains(out, "t-women") {
		t.Errorf("exit %d, and the women's microcredit named (a man said he is one):\n%s", code, out)
	}

	// A service judged harmful for him and shown: exit 1, with the line
	// that says so.
	judged := writeTemp(t, "judged.yaml", strings.Replace(relevancePersonas, "ideal: [t-open]", "ideal: [t-open]\n    harmful: [t-other]", 1))
	other := writeTemp(t, "other.csv", relevanceHeader+relevanceRow("t-open", "")+relevanceRow("t-other", ""))
	code, out, _ = runCmd(t, "", "relevance", "-personas", judged, "-catalogue", other)
	if code != 1 {
		t.Errorf("exit %d, want 1 when a harmful service is shown:\n%s", code, out)
	}
	if !strings.Contains(out, "homme-tetouan") || !strings.Contains(out, "t-other") || !strings.Contains(out, "judged harmful") {
		t.Errorf("output does not name the harmful service and why:\n%s", out)
	}
}

func TestRelevanceRefusesABadSet(t *testing.T) {
	personas := writeTemp(t, "personas.yaml", strings.Replace(relevancePersonas, "ideal: [t-open]", "ideal: [t-missing]", 1))
	clean := writeTemp(t, "clean.csv", relevanceHeader+relevanceRow("t-open", ""))
	code, _, errs := runCmd(t, "", "relevance", "-personas", personas, "-catalogue", clean)
	if code != 1 || !strings.Contains(errs, `ideal service "t-missing" is not in the catalogue`) {
		t.Errorf("exit %d, stderr %q: want 1 and the problem named", code, errs)
	}
	code, _, errs = runCmd(t, "", "relevance", "-personas", filepath.Join(t.TempDir(), "none.yaml"))
	if code != 1 || !strings.Contains(errs, "personas") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
}

// The embedded set runs without any flag and shows no harmful service
// (TestRelevanceGate guards the figures).
func TestRelevanceDefaultSet(t *testing.T) {
	code, out, errs := runCmd(t, "", "relevance")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	if !strings.Contains(out, "personas                         50") || strings.Count(out, "mean nDCG@3") != 2 {
		t.Errorf("want both modes over the 50 personas:\n%s", out)
	}
}
