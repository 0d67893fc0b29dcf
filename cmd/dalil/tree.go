package main

var runTree = notYet("tree")
