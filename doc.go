// Package portico holds Portico's domain: accounts, users, user groups, the permission catalogue, roles,
// role assignments, the device group tree, devices, assignment rules, audit events, remote session
// records, directory import jobs and account policies, with the rules that validate them, and the
// filters by which lists of them are queried. It knows nothing of HTTP or SQL; the authorization
// engine lives in package authz, storage in internal/store and the use cases in internal/app.
package portico
