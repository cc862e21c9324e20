package backoffice

import (
	"errors"
	"fmt"

	"github.com/sharjah-handoff/handoff/contracts"
)

// Kinds of ActionError, to test with errors.Is.
var (
	ErrInvalid     = errors.New("invalid request")
	ErrConflict    = errors.New("conflict with the ticket's current state")
	ErrUnavailable = errors.New("temporarily unavailable")
)

// ActionError says why an officer's action was not carried out, in a form
// the API returns as it is: a stable code, a bilingual message, the
// problems with the input, and for a conflict the ticket as it stands.
type ActionError struct {
	Kind     error
	Code     string
	Message  contracts.Text
	Problems []contracts.Problem
	Current  *Record
	Err      error
}

func (e *ActionError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Code, e.Err)
	}
	return fmt.Sprintf("%s: %s: %s", e.Kind, e.Code, e.Message.EN)
}

// Is matches the error's kind (and ErrNotFound for an absent ticket).
func (e *ActionError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *ActionError) Unwrap() error { return e.Err }

func text(en, ar string) contracts.Text { return contracts.Text{EN: en, AR: ar} }

func problem(pointer, code, en, ar string) contracts.Problem {
	return contracts.Problem{Pointer: pointer, Code: code, Message: text(en, ar)}
}

func invalid(ps []contracts.Problem) *ActionError {
	return &ActionError{Kind: ErrInvalid, Code: "invalid_input", Problems: ps,
		Message: text("the request is not valid; see problems", "الطلب غير صحيح؛ راجع الملاحظات")}
}

func invalidUpdate(err error) *ActionError {
	e := invalid(nil)
	var ve *contracts.ValidationError
	if errors.As(err, &ve) {
		e.Problems = ve.Problems
	}
	e.Err = err
	return e
}

func notFound(tid string) *ActionError {
	return &ActionError{Kind: ErrNotFound, Code: "ticket_not_found",
		Message: text("no ticket "+tid+" in your queues", "لا توجد تذكرة بهذا الرقم في قوائمك")}
}

func conflict(code string, current *Record, en, ar string) *ActionError {
	return &ActionError{Kind: ErrConflict, Code: code, Current: current, Message: text(en, ar)}
}

func unavailable(code string, err error) *ActionError {
	msgs := map[string]contracts.Text{
		"not_published": text("the change could not be sent to the contact centre; nothing was changed, try again",
			"تعذر إرسال التغيير إلى مركز الاتصال؛ لم يتغير شيء، حاول مرة أخرى"),
		"commit_failed": text("the change was sent but could not be recorded yet; it will show shortly",
			"أُرسل التغيير ولم يُسجَّل بعد؛ سيظهر بعد قليل"),
		"unconfirmed": text("the change was sent but not confirmed; it will be sent again until it is, and then shown",
			"أُرسل التغيير ولم يصل تأكيده بعد؛ ستُعاد محاولة إرساله حتى يتأكد ثم يظهر"),
	}
	m, ok := msgs[code]
	if !ok {
		m = text("the ticket store is not reachable; nothing was changed, try again",
			"تعذر الوصول إلى سجل التذاكر؛ لم يتغير شيء، حاول مرة أخرى")
	}
	return &ActionError{Kind: ErrUnavailable, Code: code, Message: m, Err: err}
}

// storeError passes an *ActionError from a mutation through, and turns any
// other store failure into "unavailable".
func storeError(err error, current *Record) error {
	var ae *ActionError
	if errors.As(err, &ae) {
		if ae.Current == nil && ae.Kind == ErrConflict {
			ae.Current = current
		}
		return ae
	}
	if errors.Is(err, ErrNotFound) {
		return &ActionError{Kind: ErrNotFound, Code: "ticket_not_found", Message: text("no such ticket", "لا توجد تذكرة بهذا الرقم")}
	}
	return unavailable("store_unavailable", err)
}
