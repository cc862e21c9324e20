package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// `handoff up` makes demo accounts on its first start and keeps their
// secrets in files beside the accounts' own, so that every start can say
// how to log in. These files, and the accounts' files next to them, are
// readable by their owner only.

// demoPassword is a random password for a demo account.
func demoPassword() string { return rand.Text()[:16] }

// readDemoFile reads a JSON file written by writeDemoFile into v. found is
// false when there is no such file.
func readDemoFile(path string, v any) (found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// writeDemoFile writes v as indented JSON that only the owner may read.
func writeDemoFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o600)
}
