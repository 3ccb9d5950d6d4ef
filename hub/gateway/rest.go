package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/wire"
)

// MsgRESTHeartbeatLost is the reason given for runs whose REST plugin
// stopped answering heartbeats.
const MsgRESTHeartbeatLost = "the plugin stopped answering heartbeats during the run"

// restConcurrency bounds how many REST heartbeats run at once.
const restConcurrency = 8

// restInstanceID names the one instance of a REST plugin.
func restInstanceID(pluginID string) string { return "rest:" + pluginID }

// CheckBaseURL reports whether a REST plugin may use base URL u: it must
// be an absolute http(s) URL without credentials, under one of
// Config.RESTAllowedURLs.
func (g *Gateway) CheckBaseURL(u string) error {
	base, err := parseBaseURL(u)
	if err != nil {
		return err
	}
	if len(g.cfg.RESTAllowedURLs) == 0 {
		return errors.New("the REST connector is disabled on this hub: an administrator must allow the plugin's base URL")
	}
	for _, a := range g.cfg.RESTAllowedURLs {
		allowed, _ := parseBaseURL(a) // validated by New
		if allowed.Scheme == base.Scheme && strings.EqualFold(allowed.Host, base.Host) && pathUnder(base.Path, allowed.Path) {
			return nil
		}
	}
	return fmt.Errorf("base URL %q is not among the URLs this hub allows for REST plugins", u)
}

// parseBaseURL parses an absolute http(s) URL without credentials, query
// or fragment.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	switch {
	case err != nil:
		return nil, fmt.Errorf("base URL %q is not a URL: %w", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("base URL %q must start with http:// or https://", s)
	case u.Host == "":
		return nil, fmt.Errorf("base URL %q has no host", s)
	case u.User != nil:
		return nil, fmt.Errorf("base URL %q must not hold credentials", s)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("base URL %q must not have a query or fragment", s)
	}
	if err := checkBasePath(u); err != nil {
		return nil, fmt.Errorf("base URL %q %w", s, err)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// checkBasePath refuses the paths a server might resolve to somewhere
// else than they read: dot segments, percent-encoded dots, slashes or
// backslashes, backslashes and empty segments. The allowlist compares
// clean paths segment by segment, and the URL is used as written.
func checkBasePath(u *url.URL) error {
	raw := u.EscapedPath()
	lower := strings.ToLower(raw)
	for _, enc := range []string{"%2e", "%2f", "%5c"} {
		if strings.Contains(lower, enc) {
			return fmt.Errorf("has an encoded dot, slash or backslash (%s) in its path; write the path plainly", strings.ToUpper(enc))
		}
	}
	if strings.Contains(u.Path, "\\") {
		return errors.New("has a backslash in its path")
	}
	p := strings.TrimSuffix(u.Path, "/")
	if p == "" {
		return nil
	}
	for i, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		switch seg {
		case ".", "..":
			return errors.New(`has a "." or ".." path segment; give the path without them`)
		case "":
			return fmt.Errorf("has an empty path segment (//) at segment %d", i+1)
		}
	}
	if path.Clean(p) != p {
		return errors.New("has a path that is not clean")
	}
	return nil
}

// pathUnder reports whether p equals prefix or lies below it.
func pathUnder(p, prefix string) bool {
	return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/")
}

// pollLoop sends REST heartbeats every RESTPollInterval (and on
// RefreshREST) until Close.
func (g *Gateway) pollLoop() {
	if g.cfg.Box == nil {
		g.log.InfoContext(g.ctx, "REST connector disabled: no hub key to decrypt plugin secrets")
		return
	}
	t := time.NewTicker(g.cfg.RESTPollInterval)
	defer t.Stop()
	for {
		g.pollREST(g.ctx)
		select {
		case <-g.ctx.Done():
			return
		case <-t.C:
		case <-g.pollNow:
		}
	}
}

// pollREST sends one heartbeat to every REST plugin and updates their
// instances.
func (g *Gateway) pollREST(ctx context.Context) {
	plugins, err := g.cfg.Plugins.PluginListByConnector(ctx, string(store.ConnectorREST))
	if err != nil {
		if ctx.Err() == nil {
			g.log.WarnContext(ctx, "list REST plugins", slog.Any(logKeyError, err))
		}
		return
	}
	seen := make(map[string]bool, len(plugins))
	sem := make(chan struct{}, restConcurrency)
	var wg sync.WaitGroup
	for _, p := range plugins {
		seen[restInstanceID(p.ID)] = true
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			g.pollPlugin(ctx, p)
		}()
	}
	wg.Wait()
	// Plugins deleted or switched to Socket.IO lose their REST instance.
	for _, inst := range g.reg.byConnector(store.ConnectorREST) {
		if !seen[inst.id] {
			g.dropREST(ctx, inst, "the plugin was deleted or no longer uses the REST connector")
		}
	}
}

// pollPlugin sends one heartbeat to a REST plugin.
func (g *Gateway) pollPlugin(ctx context.Context, p *store.Plugin) {
	id := restInstanceID(p.ID)
	err := g.restHeartbeat(ctx, p)
	if ctx.Err() != nil {
		return
	}
	inst := g.reg.get(id)
	if err != nil {
		if inst != nil {
			g.log.WarnContext(ctx, "REST plugin stopped answering heartbeats", slog.String(logKeyPlugin, p.ID), slog.Any(logKeyError, err))
			g.dropREST(ctx, inst, MsgRESTHeartbeatLost)
		} else {
			g.log.DebugContext(ctx, "REST plugin heartbeat", slog.String(logKeyPlugin, p.ID), slog.Any(logKeyError, err))
		}
		return
	}
	now := time.Now().UTC()
	first := inst == nil
	if first {
		inst = g.newRESTInstance(p, now)
		g.reg.add(inst)
		g.log.InfoContext(ctx, "REST plugin online", slog.String(logKeyPlugin, p.ID), slog.String(logKeyRemote, p.BaseURL))
	}
	g.reg.beat(inst, now)
	if first {
		g.cfg.Events.InstanceConnected(ctx, g.reg.info(inst))
	} else {
		g.cfg.Events.InstanceHeartbeat(ctx, g.reg.info(inst))
	}
}

// dropREST unregisters a REST instance and reports the runs it held.
func (g *Gateway) dropREST(ctx context.Context, inst *instance, reason string) {
	info := g.reg.info(inst)
	runs, registered := g.reg.remove(inst)
	if inst.close != nil {
		inst.close()
	}
	if !registered {
		return
	}
	g.cfg.Events.InstanceDisconnected(ctx, info)
	if len(runs) > 0 {
		g.cfg.Events.InstanceLost(ctx, info, runs, reason)
	}
}

// restSecret decrypts a REST plugin's secret.
func (g *Gateway) restSecret(p *store.Plugin) (string, error) {
	b, err := g.cfg.Box.Open(p.SecretEnc)
	if err != nil {
		return "", fmt.Errorf("decrypt secret of plugin %s: %w", p.ID, err)
	}
	return string(b), nil
}

// restHeartbeat sends GET {base}/heartbeat with the Secret header.
func (g *Gateway) restHeartbeat(ctx context.Context, p *store.Plugin) error {
	if err := g.CheckBaseURL(p.BaseURL); err != nil {
		return err
	}
	secret, err := g.restSecret(p)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.RESTTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(p.BaseURL, "/")+wire.PathHeartbeat, nil)
	if err != nil {
		return fmt.Errorf("build heartbeat request: %w", err)
	}
	req.Header.Set(wire.HeaderSecret, secret)
	resp, err := g.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("send heartbeat: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("heartbeat answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// restRun is one POST {base}/plugin in flight.
type restRun struct {
	cancel context.CancelFunc
}

// newRESTInstance returns the instance of a REST plugin that answered a
// heartbeat.
func (g *Gateway) newRESTInstance(p *store.Plugin, now time.Time) *instance {
	var (
		mu       sync.Mutex
		inFlight = make(map[string]*restRun)
		inst     *instance
	)
	pluginID := p.ID
	inst = &instance{
		id:          restInstanceID(p.ID),
		pluginID:    p.ID,
		orgID:       p.OrgID,
		connector:   store.ConnectorREST,
		remoteAddr:  p.BaseURL,
		connectedAt: now,
		send: func(_ context.Context, d *Dispatch) error {
			// Read the plugin again: its base URL or secret may have
			// changed since the last heartbeat.
			ctx, cancel := context.WithTimeout(g.ctx, authTimeout)
			p, err := g.cfg.Plugins.PluginGetByID(ctx, pluginID)
			cancel()
			if err != nil {
				return fmt.Errorf("read plugin: %w", err)
			}
			body, err := json.Marshal(d.Request)
			if err != nil {
				return fmt.Errorf("encode run request: %w", err)
			}
			deadline := d.Deadline
			if deadline.IsZero() {
				deadline = time.Now().Add(DefaultRESTDispatchTimeout)
			}
			runCtx, runCancel := context.WithDeadline(g.ctx, deadline)
			mu.Lock()
			inFlight[d.Request.Session] = &restRun{cancel: runCancel}
			mu.Unlock()
			go func() {
				err := g.restPost(runCtx, p, body)
				// A cancelled or expired run is not a refusal: the run
				// dispatcher ended it already.
				stopped := runCtx.Err() != nil
				runCancel()
				mu.Lock()
				delete(inFlight, d.Request.Session)
				mu.Unlock()
				if err == nil || stopped || !g.reg.holds(inst.id, d.Request.Session) {
					return
				}
				var refused *refusedError
				if errors.As(err, &refused) {
					g.cfg.Events.DispatchFailed(g.ctx, g.reg.info(inst), d.Request.Session, err)
					return
				}
				// The connection broke while the plugin worked on the run:
				// the plugin went away (a heartbeat will tell for good).
				info := g.reg.info(inst)
				g.reg.release(d.Request.Session)
				g.log.InfoContext(g.ctx, "REST plugin connection lost during a run", slog.String(logKeyRun, d.Request.Session), slog.Any(logKeyError, err))
				g.cfg.Events.InstanceLost(g.ctx, info, []string{d.Request.Session}, MsgInstanceDisconnected)
				g.RefreshREST()
			}()
			return nil
		},
		cancelRun: func(runID string) {
			mu.Lock()
			r := inFlight[runID]
			mu.Unlock()
			if r != nil {
				r.cancel()
			}
		},
		close: func() {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range inFlight {
				r.cancel()
			}
		},
	}
	return inst
}

// restPost sends POST {base}/plugin. The plugin may answer only when the
// run is over; any 2xx answer is a success (the result arrives through
// POST /v2/pluginResponse).
func (g *Gateway) restPost(ctx context.Context, p *store.Plugin, body []byte) error {
	if err := g.CheckBaseURL(p.BaseURL); err != nil {
		return err
	}
	secret, err := g.restSecret(p)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(p.BaseURL, "/")+wire.PathRun, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build run request: %w", err)
	}
	req.Header.Set(wire.HeaderSecret, secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("send run to the plugin: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return &refusedError{status: resp.StatusCode}
	}
	return nil
}

// refusedError is a non-2xx answer to POST {base}/plugin.
type refusedError struct{ status int }

// Error says which status the plugin answered.
func (e *refusedError) Error() string {
	return fmt.Sprintf("the plugin refused the run: HTTP %d", e.status)
}
