// Package eventstest checks events against the JSON Schema in package events.
// Tests of every producer use it so that nothing leaves goalrelay that the
// contract does not allow.
package eventstest
