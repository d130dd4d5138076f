package api

// What the external tests of this package read of its internals.

// Examples are the request bodies the OpenAPI document shows, by operation id.
var Examples = examples

// ExamplePlaceholders maps each placeholder id of the examples to what it stands for.
var ExamplePlaceholders = map[string]string{
	exampleUser: "user", exampleRole: "role", exampleGroup: "group", exampleSubGroup: "sub-group",
	exampleDevice: "device", exampleRuleID: "rule", exampleToken: "enrollment token",
	exampleCode: "on-demand code",
}
