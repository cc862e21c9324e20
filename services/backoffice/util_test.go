package backoffice_test

import (
	"testing"

	"github.com/sharjah-handoff/handoff/internal/natstest"
)

func eventually(t *testing.T, f func() error) {
	t.Helper()
	natstest.Eventually(t, f)
}
