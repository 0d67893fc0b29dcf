package main

// runServe runs the Telegram bot and the HTTP server.
var runServe = notYet("serve")
