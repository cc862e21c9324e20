// Package test holds end-to-end tests that build and drive the real
// handoff binary, as a person at a terminal would.
package test
