// Package plugins is the service that holds every rule about export
// plugins: who may create, change, delete them and see or rotate their
// secrets, what makes a plugin's fields valid, and who may enable or
// disable a plugin on a project. The JSON API (hub) and the web UI (web)
// call it and word its errors in their own terms.
//
// Methods take (ctx, principal, params) and return hub/hubtype rows or
// typed errors: *hubtype.FieldError (bad input), errors matching
// hubtype.ErrForbidden, hubtype.ErrNotFound (a plugin or project of
// another organization too) and hubtype.ErrConflict (a name taken).
package plugins
