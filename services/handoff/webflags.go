package main

import (
	"flag"
	"io"
	"os"
	"time"
)

// webFlags are the flags of the commands that run a web front end alone
// against an external NATS: `handoff intake` and `handoff backoffice`.
type webFlags struct {
	conn                                connFlags
	http, keyFile, catalogue, logFormat string
	hashPassword                        bool
	grace                               time.Duration
}

// register adds the flags to fs: user is the default NATS user, addr the
// default HTTP address, serves what that address serves, and usersFile the
// file that --hash-password makes a hash for.
func (w *webFlags) register(fs *flag.FlagSet, user, addr, serves, usersFile string) {
	w.conn.register(fs, user)
	fs.StringVar(&w.http, "http", addr, "HTTP address of "+serves)
	fs.StringVar(&w.keyFile, "session-key-file", "", "file with the hex session key shared by instances (default: a new key per start; sessions end on restart)")
	fs.StringVar(&w.catalogue, "catalogue", "", "service catalogue JSON file (default: the embedded one)")
	fs.StringVar(&w.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&w.hashPassword, "hash-password", false, "print the bcrypt hash of a password read from stdin, for "+usersFile+", and exit")
	fs.DurationVar(&w.grace, "shutdown-grace", 10*time.Second, "how long in-flight work may take to finish on SIGTERM")
}

// parse parses args into fs. It reports done when there is nothing left to
// do: a flag error, --help, or --hash-password, which it answers here.
func (w *webFlags) parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (done bool, err error) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return true, err
	}
	if w.hashPassword {
		return true, printHash(os.Stdin, stdout)
	}
	return false, nil
}

// sessionKey reads --session-key-file; without one it returns nil.
func (w *webFlags) sessionKey() ([]byte, error) {
	if w.keyFile == "" {
		return nil, nil
	}
	return sessionKey(w.keyFile, false)
}
