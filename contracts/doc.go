// Package contracts is the machine-readable agreement between Sharjah's
// government contact centre and Sharjah Civil Defence, and the Go side of it.
//
// The directory holds what a client in any language needs to integrate:
// asyncapi.yaml (subjects, streams, CloudEvents headers), one JSON Schema
// (draft 2020-12) per event payload under schemas/, valid and invalid example
// payloads under examples/, the bilingual service catalogue (catalogue.json,
// with catalogue.schema.json) and the evolution policy (EVOLUTION.md).
//
// The package embeds all of it, so a binary carries the contract it was built
// with, and offers:
//
//   - typed payload structs, one per event type, kept honest by tests that
//     validate what they marshal;
//   - [Validate], which checks a payload against its schema and reports every
//     problem as a JSON pointer, a stable code and an Arabic and English
//     message, so a sender learns exactly which field is wrong and why;
//   - the catalogue: [DefaultCatalogue], [Catalogue.Lookup] and
//     [Service.CheckRequest], the checks a schema cannot express (which
//     attributes a service has, their datatypes and allowed values, whether it
//     needs a location).
//
// Validation never touches the network: every schema is compiled from the
// embedded files, once, on first use.
package contracts
