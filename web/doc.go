// Package web serves exporthub's browser UI: server-rendered pages
// (html/template), one stylesheet and one small vanilla JavaScript file,
// all embedded with embed.FS, so the hub binary needs no build step and no
// files on disk to serve them.
//
// # Pages
//
// Sign in (e-mail and password, or an API key) and sign out; the projects
// list and the New project form; a project's Overview, Exports and
// Settings tabs, with the General section (the project form and the
// import of annotations, both sent to the hub's project API) and the Plugins
// section whose Open button shows the run dialog (Config JSON checked as
// you type, stage and batch filters, Run, live status and logs, Cancel
// run, Download); a run's page (status, logs, Cancel run, Download), which
// the notifications link to; the notification bell on every page; the
// plugin pages where owners
// create plugins, edit their default config and timeout and find the
// Development box (ID, secret shown once, rotation, connected instances);
// the organization admin pages (members, API keys, storages); the account
// page (set or change the password).
//
// # Security
//
// A browser session is a random 32-byte cookie value; the hub stores only
// its SHA-256 (hubtype.WebSession, through hub/users). The cookie is HttpOnly and
// SameSite=Lax, and Secure whenever the hub is reached over https (its
// public URL or the request's TLS). Every form carries the session's CSRF
// token in a hidden field and every JavaScript POST sends it in the
// X-CSRF-Token header; a missing or wrong token is refused with 403.
// Unsafe cross-origin requests are refused as well
// (net/http.CrossOriginProtection). Sign-in compares bcrypt hashes even
// for unknown e-mails, so its timing does not tell which accounts exist,
// and failed attempts are rate limited per client address and per e-mail.
//
// # Wiring
//
// Package web imports neither package hub nor the store: the hub mounts
// the UI from hub/web_routes.go, handing it the services (hub/users,
// hub/projects, hub/plugins), which hold every rule about who may do
// what, and a [Hub] implementation for the parts that live in the hub
// (storages, runs, the notification feed). Pages decode a form, call a
// service and word its errors. Live updates (run logs, the bell) are
// server-sent event streams that follow the hub's run and notification
// feeds, so they work on any hub replica. A stream ends when the hub begins to shut down
// ([Hub.Stopping]), so that it never holds a graceful shutdown, and when
// its session ends; the browser reconnects by itself.
package web
