package main

var runChat = notYet("chat")
