// Package users is the service that holds every rule about the people of
// an organization and their credentials: who may list, add, change and
// remove users, what makes a user's fields and password valid, who may
// create, see and revoke API keys, how an API key or an e-mail and
// password become a caller, and the browser sessions of the web UI. The
// JSON API (hub), the web UI (web) and the CLI call it and word its
// errors in their own terms.
//
// Methods take (ctx, principal, params) and return hub/hubtype rows or
// typed errors: *hubtype.FieldError (bad input, naming the field),
// errors matching hubtype.ErrForbidden (a *hubtype.RuleError saying who
// may), hubtype.ErrNotFound (a user or key the caller does not reach,
// another organization's too) and hubtype.ErrConflict (an e-mail taken,
// removing oneself). Credentials that do not hold give errors wrapping
// [ErrBadCredentials]; a browser session that does not hold,
// [ErrNoSession].
//
// The rules:
//   - Organization admins list, add and remove users and change their
//     roles; nobody changes their own role or removes themself, so an
//     organization keeps an admin.
//   - Any user sets their own password; changing one needs the current
//     password. Passwords are 8 to 72 bytes (bcrypt reads 72).
//   - Any user creates API keys for themself, an admin for any user of
//     the organization; every key has a name of 1 to 200 characters.
//     A user sees and revokes their own keys, an admin every user key of
//     the organization. Run tokens are never listed nor revoked here.
//   - Members of an organization see each other's e-mails (who ran an
//     export), nothing more.
package users
