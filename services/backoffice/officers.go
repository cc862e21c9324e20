package backoffice

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/sharjah-handoff/handoff/events"
)

// Role is what an officer may do.
type Role string

// Roles. An officer works the queues listed for them; a supervisor sees
// and works every queue.
const (
	RoleOfficer    Role = "officer"
	RoleSupervisor Role = "supervisor"
)

// Officer is a Civil Defence officer who may log in to the back office.
type Officer struct {
	// ID is the login name and the officer_id of status events: letters,
	// digits, '_' and '-'.
	ID     string   `yaml:"id" json:"id"`
	Name   string   `yaml:"name" json:"name"`
	Role   Role     `yaml:"role" json:"role"`
	Queues []string `yaml:"queues,omitempty" json:"queues"`
	// PasswordHash is a bcrypt hash ($2a$/$2b$…), never a password.
	PasswordHash string `yaml:"password_bcrypt" json:"-"`
}

// CanSee reports whether the officer may see and work a queue.
func (o Officer) CanSee(queue string) bool {
	return o.Role == RoleSupervisor || slices.Contains(o.Queues, queue)
}

// officersFile is the configuration file's shape.
type officersFile struct {
	Officers []Officer `yaml:"officers"`
}

// Officers is the directory of officers who may log in.
type Officers struct {
	byID map[string]Officer
	ids  []string
	// all are the queues a supervisor sees.
	all       []string
	dummyOnce sync.Once
	dummy     []byte
}

// ErrBadCredentials is returned for an unknown officer or a wrong password,
// without saying which.
var ErrBadCredentials = errors.New("unknown officer or wrong password")

// LoadOfficers reads the officers' configuration file (YAML or JSON):
//
//	officers:
//	  - id: licensing-officer
//	    name: Licensing duty officer
//	    role: officer            # or supervisor
//	    queues: [licensing]
//	    password_bcrypt: $2a$10$…
//
// queues lists the queues that exist; an officer of any other is an error.
func LoadOfficers(path string, queues []string) (*Officers, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("officers: %w", err)
	}
	o, err := ParseOfficers(data, queues)
	if err != nil {
		return nil, fmt.Errorf("officers %s: %w", path, err)
	}
	return o, nil
}

// ParseOfficers reads an officers' configuration; see LoadOfficers.
func ParseOfficers(data []byte, queues []string) (*Officers, error) {
	var f officersFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	return NewOfficers(f.Officers, queues)
}

// NewOfficers checks a list of officers and makes the directory.
func NewOfficers(list []Officer, queues []string) (*Officers, error) {
	o := &Officers{byID: map[string]Officer{}, all: slices.Sorted(slices.Values(queues))}
	for i, off := range list {
		if err := o.check(off, queues); err != nil {
			return nil, fmt.Errorf("officer %d (%q): %w", i+1, off.ID, err)
		}
		o.byID[off.ID] = off
		o.ids = append(o.ids, off.ID)
	}
	if len(o.ids) == 0 {
		return nil, errors.New("no officers")
	}
	sort.Strings(o.ids)
	return o, nil
}

func (o *Officers) check(off Officer, queues []string) error {
	if err := events.CheckToken(off.ID); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if _, dup := o.byID[off.ID]; dup {
		return errors.New("id used twice")
	}
	if _, err := bcrypt.Cost([]byte(off.PasswordHash)); err != nil {
		return fmt.Errorf("password_bcrypt is not a bcrypt hash: %w", err)
	}
	switch off.Role {
	case RoleSupervisor:
	case RoleOfficer:
		if len(off.Queues) == 0 {
			return errors.New("an officer needs at least one queue")
		}
	default:
		return fmt.Errorf("role %q: want officer or supervisor", off.Role)
	}
	for _, q := range off.Queues {
		if !slices.Contains(queues, q) {
			return fmt.Errorf("no queue %q (queues: %v)", q, queues)
		}
	}
	return nil
}

// Get returns an officer by id.
func (o *Officers) Get(id string) (Officer, bool) {
	off, ok := o.byID[id]
	return off, ok
}

// QueuesOf lists the queues an officer sees, sorted.
func (o *Officers) QueuesOf(off Officer) []string {
	if off.Role == RoleSupervisor {
		return slices.Clone(o.all)
	}
	return slices.Sorted(slices.Values(off.Queues))
}

// OfQueue lists the officers who may work a queue, supervisors included.
func (o *Officers) OfQueue(queue string) []Officer {
	var out []Officer
	for _, id := range o.ids {
		if off := o.byID[id]; off.CanSee(queue) {
			out = append(out, off)
		}
	}
	return out
}

// dummyHash is compared against when the officer is unknown, so that an
// unknown id takes as long to refuse as a wrong password: it has the cost
// of the officers' own hashes.
func (o *Officers) dummyHash() []byte {
	o.dummyOnce.Do(func() {
		cost := bcrypt.DefaultCost
		for _, off := range o.byID {
			if c, err := bcrypt.Cost([]byte(off.PasswordHash)); err == nil {
				cost = c
				break
			}
		}
		o.dummy, _ = bcrypt.GenerateFromPassword([]byte(randomToken()), cost)
	})
	return o.dummy
}

// Authenticate checks an officer's password.
func (o *Officers) Authenticate(id, password string) (Officer, error) {
	off, ok := o.byID[id]
	hash := []byte(off.PasswordHash)
	if !ok {
		hash = o.dummyHash()
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	if !ok || err != nil {
		return Officer{}, ErrBadCredentials
	}
	return off, nil
}

// HashPassword returns the bcrypt hash of a password for the officers'
// file; cost 0 means bcrypt.DefaultCost.
func HashPassword(password string, cost int) (string, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	return string(h), err
}
