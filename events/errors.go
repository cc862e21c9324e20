package events

import (
	"errors"
	"time"
)

// A handler's error decides what happens to the message:
//   - nil: acked.
//   - an error marked Permanent: dead-lettered, then terminated.
//   - any other error: retried after a back-off, until MaxDeliver; then
//     dead-lettered.
//   - an error from RetryAfter: retried after the given delay, and not
//     counted as a failure in logs (e.g. waiting for an earlier version).

type permanentError struct {
	reason string
	err    error
}

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that no retry can fix. reason is a short
// machine-readable code recorded in the dead letter, e.g. "schema_invalid".
func Permanent(reason string, err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{reason: reason, err: err}
}

// IsPermanent reports whether err was marked Permanent, and its reason.
func IsPermanent(err error) (string, bool) {
	var p *permanentError
	if errors.As(err, &p) {
		return p.reason, true
	}
	return "", false
}

type retryAfterError struct {
	delay time.Duration
	err   error
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter asks for the message again after delay.
func RetryAfter(delay time.Duration, err error) error {
	return &retryAfterError{delay: delay, err: err}
}
