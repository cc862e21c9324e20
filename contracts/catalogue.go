package contracts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
)

// ErrInvalidCatalogue is wrapped by every error of [ParseCatalogue] that is
// about the catalogue's content rather than reading it.
var ErrInvalidCatalogue = errors.New("invalid catalogue")

// catalogueName stands in for an event type in a catalogue's ValidationError.
const catalogueName = "catalogue"

// DefaultCatalogue returns the catalogue embedded in the binary. Each call
// returns a fresh copy, so a caller may change it (tests shorten SLAs, for
// instance) without affecting anyone else.
func DefaultCatalogue() (*Catalogue, error) {
	data, err := fs.ReadFile(files, CatalogueFile)
	if err != nil {
		return nil, err
	}
	return ParseCatalogue(data)
}

// ParseCatalogue reads a catalogue and checks it against catalogue.schema.json
// and the rules a schema cannot state (unique service, attribute and value
// codes). A faulty catalogue is an error wrapping both ErrInvalidCatalogue
// and a *ValidationError.
func ParseCatalogue(data []byte) (*Catalogue, error) {
	schemas, err := loadSchemas()
	if err != nil {
		return nil, err
	}
	if err := validateAgainst(catalogueName, schemas.catalogue, data); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCatalogue, err)
	}
	var c Catalogue
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCatalogue, err)
	}
	if ps := c.duplicates(); len(ps) > 0 {
		verr := &ValidationError{EventType: catalogueName, Problems: tidy(ps)}
		return nil, fmt.Errorf("%w: %w", ErrInvalidCatalogue, verr)
	}
	return &c, nil
}

// duplicates finds codes that occur twice where they must be unique: a
// lookup by code would otherwise depend on the order of entries.
func (c *Catalogue) duplicates() []Problem {
	var ps []Problem
	seen := map[string]bool{}
	for i, s := range c.Services {
		at := "/services/" + strconv.Itoa(i)
		if seen[s.Code] {
			ps = append(ps, duplicate(at+"/code", s.Code))
		}
		seen[s.Code] = true
		ps = append(ps, s.duplicateAttributes(at)...)
	}
	return ps
}

func (s Service) duplicateAttributes(at string) []Problem {
	var ps []Problem
	seen := map[string]bool{}
	for i, a := range s.Attributes {
		aAt := at + "/attributes/" + strconv.Itoa(i)
		if seen[a.Code] {
			ps = append(ps, duplicate(aAt+"/code", a.Code))
		}
		seen[a.Code] = true
		keys := map[string]bool{}
		for j, v := range a.Values {
			if keys[v.Key] {
				ps = append(ps, duplicate(aAt+"/values/"+strconv.Itoa(j)+"/key", v.Key))
			}
			keys[v.Key] = true
		}
	}
	return ps
}

func duplicate(ptr, code string) Problem {
	return newProblem(ptr, "duplicate", fmt.Sprintf("code %q is used twice", code))
}

// Lookup returns the service with the given code, whatever its flags: the
// caller decides what an inactive, staff-only or emergency entry means for
// it. The Service shares its Attributes with the catalogue.
func (c *Catalogue) Lookup(code string) (Service, bool) {
	i := slices.IndexFunc(c.Services, func(s Service) bool { return s.Code == code })
	if i < 0 {
		return Service{}, false
	}
	return c.Services[i], true
}

// Queues returns the Civil Defence queues the catalogue routes to, sorted and
// unique. Inactive services count: their queue must exist when they return.
func (c *Catalogue) Queues() []string {
	var qs []string
	for _, s := range c.Services {
		if s.Queue != "" {
			qs = append(qs, s.Queue)
		}
	}
	slices.Sort(qs)
	return slices.Compact(qs)
}

// Public returns the services a member of the public may request (active and
// not staff-only), in catalogue order. The emergency entry is included on
// purpose: a public front end must show its notice to call 997.
func (c *Catalogue) Public() []Service {
	var out []Service
	for _, s := range c.Services {
		if s.Active && !s.StaffOnly {
			out = append(out, s)
		}
	}
	return out
}

// Ticketed reports whether requests for s become Civil Defence tickets.
// Emergencies never do: the caller is transferred to 997.
func (s Service) Ticketed() bool { return !s.Emergency && s.Queue != "" }
