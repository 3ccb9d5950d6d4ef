package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
)

// Sign-in rate limits: failed attempts allowed per window, per e-mail and
// per client address.
const (
	signinWindow         = 15 * time.Minute
	maxFailuresPerEmail  = 5
	maxFailuresPerClient = 20
	maxLimiterEntries    = 10000
)

// signinData is the data of the sign-in page.
type signinData struct {
	Next    string
	Email   string
	KeyOpen bool
}

// handleSigninPage shows the sign-in form (or goes on when signed in).
func (ui *UI) handleSigninPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := loadSession(r.Context(), ui.users, r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	ui.render(w, r, http.StatusOK, "signin", &page{
		Title: "Sign in",
		CSRF:  ui.signinCSRF(w, r),
		Data:  &signinData{Next: next},
	})
}

// handleSignin signs in with e-mail and password, or with an API key.
func (ui *UI) handleSignin(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	email := strings.TrimSpace(r.PostFormValue("email"))
	key := strings.TrimSpace(r.PostFormValue("api_key"))
	again := func(status int, msg string) {
		ui.render(w, r, status, "signin", &page{
			Title: "Sign in",
			CSRF:  ui.signinCSRF(w, r),
			Flash: &flash{Kind: "error", Message: msg},
			Data:  &signinData{Next: next, Email: email, KeyOpen: key != ""},
		})
	}
	if c, err := r.Cookie(preSessionCookie); err != nil || !checkFormCSRF(r, c.Value) {
		again(http.StatusForbidden, "The sign-in form expired. Please try again.")
		return
	}
	client := clientAddr(r)
	limits := []string{"client:" + client}
	if email != "" && key == "" {
		limits = append(limits, "email:"+strings.ToLower(email))
	}
	if wait := ui.limiter.blocked(limits, time.Now()); wait > 0 {
		again(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins. Try again in %d minutes.", int(wait.Minutes())+1))
		return
	}
	var (
		u   *hubtype.User
		k   *hubtype.APIKey
		err error
	)
	if key != "" {
		u, k, err = ui.userByKey(r, key)
	} else {
		u, err = ui.userByPassword(r, email, r.PostFormValue("password"))
	}
	if errors.Is(err, ErrBadCredentials) {
		ui.limiter.fail(limits, time.Now())
		ui.log.InfoContext(r.Context(), "sign-in refused", slog.String(logKeyRemote, client))
		if key != "" {
			again(http.StatusUnauthorized, "That API key is not valid (unknown, revoked or expired).")
		} else {
			again(http.StatusUnauthorized, "Wrong e-mail or password.")
		}
		return
	}
	if err != nil {
		ui.serverError(w, r, err)
		return
	}
	ui.limiter.reset(limits[1:])
	if err := ui.startSession(w, r, u, k); err != nil {
		ui.serverError(w, r, err)
		return
	}
	ui.log.InfoContext(r.Context(), "signed in", slog.String(logKeyUserID, u.ID))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// handleSignout ends the session.
func (ui *UI) handleSignout(w http.ResponseWriter, r *http.Request) {
	s, err := loadSession(r.Context(), ui.users, r)
	if err == nil && !checkFormCSRF(r, s.ws.CSRFToken) {
		http.Error(w, "missing or wrong CSRF token: reload the page and try again", http.StatusForbidden)
		return
	}
	if err := ui.endSession(w, r); err != nil {
		ui.serverError(w, r, err)
		return
	}
	ui.redirect(w, r, "/signin", "info", "You are signed out.")
}

// userByPassword checks an e-mail and password; ErrBadCredentials when
// they do not match a user with a password.
func (ui *UI) userByPassword(r *http.Request, email, password string) (*hubtype.User, error) {
	return ui.users.SignIn(r.Context(), email, password)
}

// userByKey resolves a user API key to its user and stored key;
// ErrBadCredentials when the key is not a valid user key.
func (ui *UI) userByKey(r *http.Request, key string) (*hubtype.User, *hubtype.APIKey, error) {
	return ui.users.SignInKey(r.Context(), key)
}

// safeNext returns next when it is a path on this site, else /projects.
// Control characters are refused, not only CR and LF: browsers drop tabs
// and newlines from URLs, so "/\t/evil.example" would become
// "//evil.example", another site.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsFunc(next, func(r rune) bool {
		return r == '\\' || r < 0x20 || r == 0x7f
	}) {
		return "/projects"
	}
	return next
}

// clientAddr returns the client's IP address (the connection's peer; a
// proxy in front of the hub makes all clients share its address).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// signinLimiter counts failed sign-ins per key in a fixed window. It is
// safe for concurrent use and bounded in size.
type signinLimiter struct {
	mu      sync.Mutex
	entries map[string]*limitEntry
}

type limitEntry struct {
	failures int
	start    time.Time
}

func newSigninLimiter() *signinLimiter {
	return &signinLimiter{entries: make(map[string]*limitEntry)}
}

// limitFor returns the number of failures a key may have per window.
func limitFor(key string) int {
	if strings.HasPrefix(key, "email:") {
		return maxFailuresPerEmail
	}
	return maxFailuresPerClient
}

// blocked returns how long the first blocked key stays blocked, 0 when
// none is.
func (l *signinLimiter) blocked(keys []string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		e, ok := l.entries[k]
		if !ok {
			continue
		}
		if now.Sub(e.start) >= signinWindow {
			delete(l.entries, k)
			continue
		}
		if e.failures >= limitFor(k) {
			return signinWindow - now.Sub(e.start)
		}
	}
	return 0
}

// fail counts one failure for each key.
func (l *signinLimiter) fail(keys []string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= maxLimiterEntries {
		for k, e := range l.entries {
			if now.Sub(e.start) >= signinWindow {
				delete(l.entries, k)
			}
		}
	}
	for _, k := range keys {
		e, ok := l.entries[k]
		if !ok || now.Sub(e.start) >= signinWindow {
			if len(l.entries) >= maxLimiterEntries {
				continue // full of live entries: stop growing, the client limit still applies to known keys
			}
			e = &limitEntry{start: now}
			l.entries[k] = e
		}
		e.failures++
	}
}

// reset forgets the failures of keys (after a successful sign-in).
func (l *signinLimiter) reset(keys []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.entries, k)
	}
}
