package contracts

import (
	"encoding/binary"
	"strings"
)

// Reference prefixes: a request's reference is the contact centre's, a
// ticket's is Civil Defence's.
const (
	RequestReferencePrefix = "CC"
	TicketReferencePrefix  = "CD"
)

// crockford is Crockford's base-32 alphabet: no I, L, O or U, so that a
// reference read out on the phone cannot be misheard as another.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Reference formats 40 bits as a short reference an agent can read out,
// e.g. "CC-7K3M-Q9P2".
func Reference(prefix string, bits uint64) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < 8; i++ {
		if i%4 == 0 {
			b.WriteByte('-')
		}
		shift := uint(35 - 5*i)
		b.WriteByte(crockford[(bits>>shift)&31])
	}
	return b.String()
}

// RandomReference derives a reference from the random tail of a UUIDv7.
func RandomReference(prefix string, id [16]byte) string {
	return Reference(prefix, binary.BigEndian.Uint64(id[8:])&(1<<40-1))
}

// NormalizeReference accepts a reference as an agent might type it (lower
// case, spaces, O for 0, I or L for 1) and returns its canonical form.
func NormalizeReference(s string) string {
	r := strings.NewReplacer(" ", "", "O", "0", "I", "1", "L", "1")
	s = r.Replace(strings.ToUpper(strings.TrimSpace(s)))
	if len(s) == 10 && !strings.Contains(s, "-") { // CC7K3MQ9P2
		s = s[:2] + "-" + s[2:6] + "-" + s[6:]
	}
	return s
}
