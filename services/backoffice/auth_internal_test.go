package backoffice

import (
	"fmt"
	"testing"
	"time"
)

// A spray of made-up ids can neither grow the failure counts nor reset a
// real officer's lockout.
func TestLockoutSurvivesASprayOfUnknownIDs(t *testing.T) {
	hash, err := HashPassword("right", 4)
	if err != nil {
		t.Fatal(err)
	}
	officers, err := NewOfficers([]Officer{{ID: "lic-1", Name: "L", Role: RoleOfficer, Queues: []string{"licensing"},
		PasswordHash: hash}}, []string{"licensing"})
	if err != nil {
		t.Fatal(err)
	}
	a := newAuthenticator(officers, []byte("k"), time.Hour, time.Now)
	for range maxFailures {
		a.fail("lic-1")
	}
	if !a.throttled("lic-1") {
		t.Fatal("not throttled after repeated failures")
	}
	for i := range 20000 {
		id := fmt.Sprintf("nobody-%d", i)
		a.fail(id)
		a.throttled(id)
	}
	if !a.throttled("lic-1") {
		t.Fatal("a spray of unknown ids reset the lockout")
	}
	if n := len(a.failures); n != 1 {
		t.Fatalf("%d ids tracked, want only the officer", n)
	}
}
