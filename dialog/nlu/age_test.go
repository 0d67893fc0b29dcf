package nlu

import "testing"

func TestStatesYouthAge(t *testing.T) {
	for text, want := range map[string]bool{
		"j'ai 25 ans":            true,
		"J'ai 25ans":             true,
		"j'ai 35 ans":            true,
		"j'ai 36 ans":            false,
		"j'ai 14 ans":            false,
		"j'ai 3 enfants":         false,
		"j'ai 25 moutons":        false,
		"depuis 20 ans":          false,
		"3ndi 22 3am":            true,
		"3andi 30 sna":           true,
		"عندي 28 عام":            true,
		"عمري ٢٥ سنة":            true,
		"عمري 25":                true,
		"عندي 25 راس ديال الغنم": false,
		"age 30":                 true,
		"âgé de 30 ans":          true,
		"âgée de 50 ans":         false,
		// Years of work, not of life.
		"j'ai 20 ans d'expérience":          false,
		"j'ai 10 ans dans le métier":        false,
		"3ndi 15 3am f lkhedma":             false,
		"عندي 20 عام ديال الخبرة":           false,
		"عندي 25 سنة من الخبرة في الخياطة":  false,
		"j'ai 25 ans et une idée de projet": true,
		"3ndi 22 3am w bghit nkhdm":         true,
	} {
		if got := statesYouthAge(splitTokens(Normalize(text))); got != want {
			t.Errorf("statesYouthAge(%q) = %v, want %v", text, got, want)
		}
	}
}

func splitTokens(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func TestStatesOlderAge(t *testing.T) {
	for text, want := range map[string]bool{
		"j'ai 50 ans":                true,
		"jai 45 ans":                 true,
		"3andi 45 3am":               true,
		"عمري 52 سنة":                true,
		"وعمري 60 عام":               true,
		"أبلغ من العمر 48 سنة":       true,
		"je suis un homme de 52 ans": true,
		"âgée de 50 ans":             true,
		"j'ai 35 ans":                false,
		"j'ai 24 ans":                false,
		"j'ai 40 ans d'expérience":   false,
		"3ndi 50 ras dyal lghanam":   false,
		"un projet de 50 ans":        false,
		"une femme de 60 ans":        true,
		"j'ai 120 ans":               false,
		"عندي 40 عام ديال الخبرة فالفلاحة": false,
	} {
		if got := statesOlderAge(splitTokens(Normalize(text))); got != want {
			t.Errorf("statesOlderAge(%q) = %v, want %v", text, got, want)
		}
	}
}
