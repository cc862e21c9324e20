package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// startedCommand is `handoff` running in the background, as a shell would
// start it; cancelling its context is the SIGTERM.
type startedCommand struct {
	name           string
	cancel         context.CancelFunc
	done           chan int
	stdout, stderr bytes.Buffer
}

// startCommand runs `handoff args...` until stop, or the end of the test.
func startCommand(t *testing.T, args ...string) *startedCommand {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &startedCommand{name: args[0], cancel: cancel, done: make(chan int, 1)}
	go func() { c.done <- run(ctx, args, &c.stdout, &c.stderr) }()
	t.Cleanup(cancel)
	return c
}

// stop signals the command and returns its exit code; a command that has
// not exited within timeout fails the test.
func (c *startedCommand) stop(t *testing.T, timeout time.Duration) int {
	t.Helper()
	c.cancel()
	select {
	case code := <-c.done:
		return code
	case <-time.After(timeout):
		t.Fatalf("handoff %s did not stop within %s", c.name, timeout)
		return 0
	}
}
