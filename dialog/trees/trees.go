// Package trees embeds the default question tree and the free-text lexicon,
// the data files staff edit, so the binary runs from any directory.
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
