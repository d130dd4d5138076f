// Package portico holds Portico's domain: accounts, users, user groups, the permission catalogue, roles,
// role assignments, the device group tree, devices, assignment rules and audit events, with the rules
// that validate them. It knows nothing of HTTP or SQL; the authorization engine lives in package authz,
// storage in internal/store and the use cases in internal/app.
package portico
