package main

var runUnderstand = notYet("understand")
