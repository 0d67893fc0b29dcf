package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the binary's entry point with args, stdin and an empty
// environment, as a user would from a shell.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, stdio{strings.NewReader(stdin), &out, &errb, func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestChatWholeConversationFromAPipe(t *testing.T) {
	// Français; then stage, need, form, sector, province, profile by number.
	code, out, errs := runCmd(t, "1\n2\n1\n1\n1\n6\n4\n", "chat")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Français", "العربية", "الدارجة", "continuons en français", "✉️", "(fictif)", "catalogue fictif", "1) "} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, out)
		}
	}
}

func TestChatDarijaFreeText(t *testing.T) {
	code, out, errs := runCmd(t, "bghit nakhod 9ard bach nbda mochro3 dyal lfla7a f chefchaouen\n", "chat")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// Answered in Darija, with what it understood confirmed.
	if !strings.Contains(out, "الدارجة") || !strings.Contains(out, "شفشاون") {
		t.Errorf("want a Darija answer naming Chefchaouen:\n%s", out)
	}
}

func TestChatLangFlag(t *testing.T) {
	code, out, _ := runCmd(t, "/help\n", "chat", "--lang", "ar")
	if code != 0 || !strings.Contains(out, "/language") || !strings.Contains(out, "العربية") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if code, _, errs := runCmd(t, "", "chat", "--lang", "de"); code == 0 || !strings.Contains(errs, "unknown language") {
		t.Fatalf("--lang de: exit %d, %s", code, errs)
	}
}

func TestUnderstandPrintsContractJSON(t *testing.T) {
	code, out, errs := runCmd(t, "", "understand", "bghit", "nakhod", "9ard", "f", "tetwan")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Lang  string              `json:"lang"`
		Codes map[string][]string `json:"codes"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	for _, k := range []string{"needs", "stages", "forms", "publics", "sectors", "provinces", "areas"} {
		if v, ok := got.Codes[k]; !ok || v == nil {
			t.Errorf("codes.%s missing or null in %s", k, out)
		}
	}
	if got.Lang != "ary" || len(got.Codes["provinces"]) != 1 || got.Codes["provinces"][0] != "tetouan" {
		t.Errorf("got %s", out)
	}
}

func TestTreeValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: a, ar: ب, ary: ب}\n"), 0o644)
	if code, out, errs := runCmd(t, "", "tree", "validate", good); code != 0 {
		t.Fatalf("valid tree: exit %d %s %s", code, out, errs)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: a}\n  - id: lost\n    kind: info\n    text: {fr: a, ar: ب, ary: ب}\n"), 0o644)
	code, out, _ := runCmd(t, "", "tree", "validate", bad)
	if code != 1 || !strings.Contains(out, `node "bye"`) || !strings.Contains(out, `node "lost"`) {
		t.Fatalf("broken tree: exit %d, output:\n%s", code, out)
	}
	if code, _, _ := runCmd(t, "", "tree", "validate", filepath.Join("..", "..", "dialog", "trees", "default.yaml")); code != 0 {
		t.Fatalf("the default tree does not validate")
	}
}

func TestUnknownCommand(t *testing.T) {
	if code, _, errs := runCmd(t, "", "fly"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}
