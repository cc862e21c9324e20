package events_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

func TestCheckTokenRefusesWhatCouldEscapeASubject(t *testing.T) {
	bad := []string{"", "a.b", "*", ">", "a*", "a>", "$SYS", "$JS", "a b", " ", "tab\t", "ü", strings.Repeat("a", 65), "a/b", "new\nline"}
	for _, s := range bad {
		if err := events.CheckToken(s); !errors.Is(err, events.ErrBadToken) {
			t.Errorf("CheckToken(%q) = %v, want ErrBadToken", s, err)
		}
	}
	good := []string{"a", "A-Z_09", strings.Repeat("a", 64), "0193a5e0-7c1e-7b3a-9d2f-5f1b2c3d4e5f", "licensing"}
	for _, s := range good {
		if err := events.CheckToken(s); err != nil {
			t.Errorf("CheckToken(%q) = %v", s, err)
		}
	}
}

func TestSubjectBuilders(t *testing.T) {
	got, err := events.Subject(contracts.TypeTicketOpened, "licensing", "t-1")
	if err != nil || got != "cd.ticket.licensing.t-1.opened" {
		t.Fatalf("ticket opened subject = %q, %v", got, err)
	}
	got, err = events.RequestSubject(contracts.TypeRequestSubmitted, "r1")
	if err != nil || got != "cc.request.r1.submitted" {
		t.Fatalf("request subject = %q, %v", got, err)
	}
	got, err = events.Subject(contracts.TypeTicketStatus, "t1")
	if err != nil || got != "cd.update.t1.status" {
		t.Fatalf("status subject = %q, %v", got, err)
	}
	for _, tokens := range [][]string{{"a.b", "t"}, {"q", "*"}, {"q", ">"}, {"$SYS", "t"}, {"q"}, {"q", "t", "extra"}} {
		if s, err := events.Subject(contracts.TypeTicketOpened, tokens...); err == nil {
			t.Errorf("Subject(%q) = %q, want error", tokens, s)
		}
	}
	if _, err := events.Subject("handoff.nope.v1", "x"); !errors.Is(err, contracts.ErrUnknownEventType) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := events.QueueFilter("a.b"); err == nil {
		t.Error("QueueFilter accepted a dot")
	}
	if _, err := events.DeadLetterSubject("cc", "S", "a b"); err == nil {
		t.Error("DeadLetterSubject accepted a space")
	}
}

func TestEveryContractTypeHasARoute(t *testing.T) {
	for _, typ := range contracts.EventTypes {
		r, ok := events.RouteOf(typ)
		if !ok || r.Stream == "" || r.Template == "" {
			t.Errorf("%s has no route", typ)
		}
	}
}
