package main

// runMigrate brings the PostgreSQL schema up to date.
var runMigrate = notYet("migrate")
