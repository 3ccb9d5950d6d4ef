package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/internal/bytesize"
)

//go:embed templates static
var assets embed.FS

// staticVersion changes whenever the static files change, so browsers
// may cache them for long (URLs carry it as a query parameter).
var staticVersion = func() string {
	h := sha256.New()
	_ = fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := assets.ReadFile(p) // embedded files always read
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)[:6])
}()

// templateFuncs are the helpers templates may call.
var templateFuncs = template.FuncMap{
	"static":      func(name string) string { return "/static/" + name + "?v=" + staticVersion },
	"timeText":    timeText,
	"timeSecText": timeSecText,
	"sizeText":    bytesize.Format,
}

// timeText formats a time for people: UTC, to the minute. It accepts a
// time.Time or a *time.Time (nil gives "").
func timeText(v any) string { return formatTime(v, "2006-01-02 15:04 UTC") }

// timeSecText formats a time for people to the second, UTC. It accepts a
// time.Time or a *time.Time (nil gives "").
func timeSecText(v any) string { return formatTime(v, "2006-01-02 15:04:05 UTC") }

// formatTime formats a time.Time or *time.Time in UTC with layout; a nil
// or zero time gives "".
func formatTime(v any, layout string) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	}
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(layout)
}

// parsePages parses every page template together with the partials.
func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(templateFuncs).ParseFS(assets, "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse partial templates: %w", err)
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	pages := make(map[string]*template.Template, len(names))
	for _, name := range names {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("clone templates: %w", err)
		}
		if _, err := t.ParseFS(assets, name); err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		pages[strings.TrimSuffix(path.Base(name), ".html")] = t
	}
	return pages, nil
}

// flash is a one-time message shown at the top of the next page.
type flash struct {
	// Kind is "ok", "info" or "error".
	Kind    string
	Message string
}

// page is what every template gets.
type page struct {
	Title   string
	Nav     string
	User    *hubtype.User
	Org     *hubtype.Org
	IsAdmin bool
	CSRF    string
	Flash   *flash
	Bell    *bellView
	Data    any
}

// request is a page request of a signed-in user.
type request struct {
	*session
	w http.ResponseWriter
	r *http.Request
}

// render writes the page template name with data, answering status.
func (ui *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := ui.pages[name]
	if !ok {
		ui.serverError(w, r, fmt.Errorf("render: no template %q", name))
		return
	}
	if p.Flash == nil {
		p.Flash = ui.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		ui.log.ErrorContext(r.Context(), "render page", slog.String(logKeyPage, name), errAttr(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w) // the browser went away; nothing left to tell it
}

// show renders a page of a signed-in user with the common header data.
func (q *request) show(ui *UI, status int, name, title, nav string, data any) {
	p := &page{
		Title:   title,
		Nav:     nav,
		User:    q.user,
		Org:     q.org,
		IsAdmin: q.isAdmin(),
		CSRF:    q.ws.CSRFToken,
		Data:    data,
	}
	bell, err := ui.bell(q.r.Context(), q.session)
	if err != nil {
		ui.serverError(q.w, q.r, err)
		return
	}
	p.Bell = bell
	ui.render(q.w, q.r, status, name, p)
}

// setFlash stores a one-time message for the next page.
func (ui *UI) setFlash(w http.ResponseWriter, r *http.Request, kind, msg string) {
	v := kind + ":" + msg
	http.SetCookie(w, ui.cookie(r, flashCookie, url.QueryEscape(v), time.Now().Add(time.Minute)))
}

// takeFlash returns the pending one-time message and clears it.
func (ui *UI) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	ui.clearCookie(w, r, flashCookie)
	v, err := url.QueryUnescape(c.Value)
	if err != nil {
		return nil
	}
	kind, msg, ok := strings.Cut(v, ":")
	if !ok || (kind != "ok" && kind != "info" && kind != "error") || len(msg) > 500 {
		return nil
	}
	return &flash{Kind: kind, Message: msg}
}

// redirect answers a form POST with 303 to target, carrying a flash.
func (ui *UI) redirect(w http.ResponseWriter, r *http.Request, target, kind, msg string) {
	if msg != "" {
		ui.setFlash(w, r, kind, msg)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// errorPageData is the data of the error page.
type errorPageData struct {
	Heading string
	Message string
}

// fail answers a page request with the error page for err: an
// *InputError or a not-found as what it says, anything else as a logged
// 500 with a generic message.
func (ui *UI) fail(q *request, err error) {
	var ie *InputError
	var fe *hubtype.FieldError
	switch {
	case errors.As(err, &ie):
		q.show(ui, http.StatusBadRequest, "error", "Cannot do that", "", &errorPageData{Heading: "Cannot do that", Message: ie.Message})
	case errors.As(err, &fe):
		q.show(ui, http.StatusBadRequest, "error", "Cannot do that", "", &errorPageData{Heading: "Cannot do that", Message: sentence(fe.Message)})
	case errors.Is(err, hubtype.ErrConflict):
		q.show(ui, http.StatusConflict, "error", "Cannot do that", "", &errorPageData{Heading: "Cannot do that", Message: sentence(ruleMessage(err))})
	case errors.Is(err, hubtype.ErrNotFound):
		q.show(ui, http.StatusNotFound, "error", "Not found", "", &errorPageData{Heading: "Not found", Message: "This page does not exist, or it belongs to another organization."})
	case errors.Is(err, errForbidden):
		q.show(ui, http.StatusForbidden, "error", "Not allowed", "", &errorPageData{Heading: "Not allowed", Message: "This needs an organization admin or the plugin's owner."})
	case errors.Is(err, hubtype.ErrForbidden):
		q.show(ui, http.StatusForbidden, "error", "Not allowed", "", &errorPageData{Heading: "Not allowed", Message: sentence(ruleMessage(err))})
	default:
		ui.log.ErrorContext(q.r.Context(), "page failed", slog.String(logKeyPath, q.r.URL.Path), errAttr(err))
		q.show(ui, http.StatusInternalServerError, "error", "Something went wrong", "", &errorPageData{Heading: "Something went wrong", Message: "The hub could not do this. The error was logged; try again later."})
	}
}

// ruleMessage returns the message of a service's *hubtype.RuleError in
// err, else err's text.
func ruleMessage(err error) string {
	var re *hubtype.RuleError
	if errors.As(err, &re) {
		return re.Message
	}
	return err.Error()
}

// sentence returns msg with its first letter upper case and a final
// period, as the pages show messages.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// errForbidden is the cause of a 403 page.
var errForbidden = errors.New("web: forbidden")

// serverError answers a failure that happened before a page could be
// built.
func (ui *UI) serverError(w http.ResponseWriter, r *http.Request, err error) {
	ui.log.ErrorContext(r.Context(), "request failed", slog.String(logKeyPath, r.URL.Path), errAttr(err))
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// userMessage returns what to tell the user about err: an *InputError's
// message, else a generic text (the error is logged).
func (ui *UI) userMessage(r *http.Request, err error) string {
	var ie *InputError
	var fe *hubtype.FieldError
	var re *hubtype.RuleError
	switch {
	case errors.As(err, &ie):
		return ie.Message
	case errors.As(err, &fe):
		return fe.Message
	case errors.As(err, &re):
		return re.Message
	case errors.Is(err, hubtype.ErrNotFound):
		return "not found"
	}
	ui.log.ErrorContext(r.Context(), "request failed", slog.String(logKeyPath, r.URL.Path), errAttr(err))
	return "the hub could not do this (the error was logged)"
}

// signinRedirect sends the browser to the sign-in page, coming back to
// the current page afterwards.
func signinRedirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// page wraps a page handler: it needs a session (else sign in).
func (ui *UI) page(h func(*request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := loadSession(r.Context(), ui.users, r)
		if errors.Is(err, ErrNoSession) {
			signinRedirect(w, r)
			return
		}
		if err != nil {
			ui.serverError(w, r, err)
			return
		}
		h(&request{session: s, w: w, r: r})
	}
}

// form wraps a form POST handler: it needs a session and the session's
// CSRF token in the form.
func (ui *UI) form(h func(*request)) http.HandlerFunc {
	return ui.page(func(q *request) {
		if !checkFormCSRF(q.r, q.ws.CSRFToken) {
			http.Error(q.w, "missing or wrong CSRF token: reload the page and try again", http.StatusForbidden)
			return
		}
		h(q)
	})
}

// admin wraps a page of the organization admin pages.
func (ui *UI) admin(h func(*request)) http.HandlerFunc {
	return ui.page(func(q *request) {
		if !q.isAdmin() {
			ui.fail(q, errForbidden)
			return
		}
		h(q)
	})
}

// adminForm wraps a form POST of the organization admin pages.
func (ui *UI) adminForm(h func(*request)) http.HandlerFunc {
	return ui.form(func(q *request) {
		if !q.isAdmin() {
			ui.fail(q, errForbidden)
			return
		}
		h(q)
	})
}

// handleStatic serves the embedded CSS and JavaScript.
func (ui *UI) handleStatic(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("v") == staticVersion {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.FileServerFS(assets).ServeHTTP(w, r)
}

// handleHome sends the browser to its projects, or to sign-in.
func (ui *UI) handleHome(w http.ResponseWriter, r *http.Request) {
	if _, err := loadSession(r.Context(), ui.users, r); err != nil {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/projects", http.StatusSeeOther)
}
