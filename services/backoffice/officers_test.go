package backoffice_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/sharjah-handoff/handoff/services/backoffice"
)

func TestOfficersFile(t *testing.T) {
	queues := []string{"licensing", "complaints"}
	hash, _ := backoffice.HashPassword("s3cret", bcrypt.MinCost)
	good := "officers:\n  - id: amal\n    name: Amal\n    role: officer\n    queues: [licensing]\n    password_bcrypt: '" + hash + "'\n" +
		"  - id: chief\n    name: Chief\n    role: supervisor\n    password_bcrypt: '" + hash + "'\n"
	dir, err := backoffice.ParseOfficers([]byte(good), queues)
	if err != nil {
		t.Fatal(err)
	}
	amal, err := dir.Authenticate("amal", "s3cret")
	if err != nil || !amal.CanSee("licensing") || amal.CanSee("complaints") {
		t.Fatalf("amal: %+v %v", amal, err)
	}
	if _, err := dir.Authenticate("amal", "wrong"); !errors.Is(err, backoffice.ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := dir.Authenticate("nobody", "s3cret"); !errors.Is(err, backoffice.ErrBadCredentials) {
		t.Fatalf("unknown officer: %v", err)
	}
	if chief, _ := dir.Get("chief"); !chief.CanSee("complaints") || len(dir.QueuesOf(chief)) != 2 {
		t.Fatalf("supervisor: %+v", chief)
	}
	if got := dir.OfQueue("complaints"); len(got) != 1 || got[0].ID != "chief" {
		t.Fatalf("officers of complaints: %+v", got)
	}

	bad := map[string]string{
		"plain password":  strings.Replace(good, "'"+hash+"'", "s3cret", 1),
		"unknown queue":   strings.Replace(good, "[licensing]", "[fireworks]", 1),
		"no queue":        strings.Replace(good, "    queues: [licensing]\n", "", 1),
		"unknown role":    strings.Replace(good, "role: officer", "role: admin", 1),
		"id not a token":  strings.Replace(good, "id: amal", "id: amal.x", 1),
		"duplicate id":    strings.Replace(good, "id: chief", "id: amal", 1),
		"no officers":     "officers: []\n",
		"not yaml at all": "{{{",
	}
	for name, text := range bad {
		if _, err := backoffice.ParseOfficers([]byte(text), queues); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
