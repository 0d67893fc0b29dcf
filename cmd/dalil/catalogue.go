package main

// runCatalogue imports and exports the catalogue.
var runCatalogue = notYet("catalogue")
