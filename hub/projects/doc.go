// Package projects is the service that holds every rule about projects:
// who may create, list, read, change and delete them, what makes their
// fields (name, description, category schema, workflow stages, batches)
// valid, and who may read their asset counts, exports and runs. The JSON
// API (hub), the /v2 plugin API and the web UI (web) call it and word its
// errors in their own terms.
//
// Methods take (ctx, principal, params) and return hub/hubtype rows or
// typed errors: *hubtype.FieldError (bad input, naming the field),
// errors matching hubtype.ErrForbidden (a *hubtype.RuleError saying who
// may) and hubtype.ErrNotFound (a project, export or run the caller does
// not reach, another organization's too).
//
// The rules:
//   - Any user of an organization creates, lists, reads, changes and
//     deletes its projects.
//   - A run token reaches its own project only (anything else is not
//     found); it lists, creates, changes and deletes none.
//   - A project has a name of 1 to 200 characters, a description of at
//     most 10000, a category schema that is a JSON object, at most 1000
//     stages forming an Ango workflow (the fixed Start and Complete
//     stages are added) and at most 10000 batches with distinct names
//     and ids. A new project without stages gets [DefaultStages].
package projects
