// Package deploy holds the deployment files of Handoff — nats-server
// configurations for one server and for a three-node cluster with the
// three-account layout, and the OpenTelemetry collector — and the tests
// that keep them in line with the code and prove they start.
package deploy
