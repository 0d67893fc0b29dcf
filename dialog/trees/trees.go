// Package trees embeds the default question tree, the free-text lexicon and
// the conversational intents, the data files staff edit, so the binary runs
// from any directory.
package trees

import _ "embed"

// Default is the YAML of the built-in question tree.
//
//go:embed default.yaml
var Default []byte

// Lexicon is the YAML of the built-in free-text lexicon.
//
//go:embed lexicon.yaml
var Lexicon []byte

// Intents is the YAML of the phrases that speak of the conversation itself
// (greetings, thanks, confusion, asking for a person), same matching rules
// as the lexicon.
//
//go:embed intents.yaml
var Intents []byte
