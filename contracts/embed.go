package contracts

import (
	"embed"
	"io/fs"
	"slices"
)

// SchemaBaseURI is the base of every schema's $id. It is a name, not a
// download location: schemas resolve from the embedded files.
const SchemaBaseURI = "https://schemas.handoff.sharjah.example/"

// Paths of the contract's files inside [Files].
const (
	SchemaDir           = "schemas"
	ExamplesDir         = "examples"
	CatalogueFile       = "catalogue.json"
	CatalogueSchemaFile = "catalogue.schema.json"
	AsyncAPIFile        = "asyncapi.yaml"
	EvolutionFile       = "EVOLUTION.md"
)

//go:embed schemas/*.json examples catalogue.json catalogue.schema.json asyncapi.yaml EVOLUTION.md
var files embed.FS

// Files returns the contract's files, read-only, laid out as in the
// repository's contracts directory (schemas/, examples/, catalogue.json,
// catalogue.schema.json, asyncapi.yaml, EVOLUTION.md). Tests and tools read
// them from here so that they see exactly what the binary validates with.
func Files() fs.FS { return files }

// KnownEventType reports whether t is one of [EventTypes].
func KnownEventType(t string) bool { return slices.Contains(EventTypes, t) }

// SchemaURI returns the $id of eventType's payload schema, the value of the
// CloudEvents dataschema attribute (ce-dataschema). The major version is in
// the name, so a v2 type gets a new URI. It returns "" for an unknown type,
// so that nobody advertises a schema that does not exist.
func SchemaURI(eventType string) string {
	if !KnownEventType(eventType) {
		return ""
	}
	return SchemaBaseURI + schemaFileName(eventType)
}

// SchemaPath returns the path of eventType's schema inside [Files], or "" for
// an unknown type.
func SchemaPath(eventType string) string {
	if !KnownEventType(eventType) {
		return ""
	}
	return SchemaDir + "/" + schemaFileName(eventType)
}

func schemaFileName(eventType string) string { return eventType + ".json" }
