// Package glossary holds glossary.yaml, the one word per thing in each
// language that Dalil's texts use, and the test that holds every locale
// message and every text of the built-in tree to it. It has no code: the
// glossary is a checked reference for whoever writes texts.
package glossary
