// Package issues is the service that holds every rule about issues (QA
// comments on the tasks of a project, as Ango Hub has them): who may list,
// raise, change, comment on and delete them, what makes their fields
// valid, and how an Ango issue export is read into a project. The /v2
// API, the project API and the CLI (through the API) call it and word its
// errors in their own terms.
//
// Methods take (ctx, principal, params) and return hub/hubtype rows or
// typed errors: *hubtype.FieldError (bad input, naming the field),
// errors matching hubtype.ErrForbidden (a *hubtype.RuleError saying who
// may), hubtype.ErrNotFound (an issue, task or project the caller does
// not reach, another organization's too) and hubtype.ErrConflict.
//
// The rules:
//   - A run token reaches the issues of its own project; a user key those
//     of every project of its organization.
//   - Anyone who reaches an issue may list it, comment on it and change
//     its status (a labeler resolves what a reviewer raised).
//   - Only the issue's author (by e-mail) or an organization admin may
//     change its content, error codes, position, object or mentions, and
//     delete it; a run token may not delete issues.
//   - A new issue is Open, raised by the caller on a task the caller
//     reaches, in the stage the task is in.
package issues
