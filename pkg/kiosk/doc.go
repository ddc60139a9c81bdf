// Package kiosk is `webcall kiosk`: a process that runs for weeks, takes
// a call whenever it is asked (the control API, a signal, a key, or again
// and again with always-on) and goes back to idle when the call ends.
//
// It is built on pkg/call, never on the SDK: each call is a call.Run with
// fresh credentials from the kiosk's token source and the sound devices
// opened for that call. One loop (Kiosk.Run) owns the state; each call runs
// on one goroutine that the loop starts and waits for. Whatever goes wrong
// (a server that went away, a token endpoint that is down, a microphone
// that was unplugged) leaves the kiosk idle, retrying or waiting for its
// devices, never dead.
package kiosk
