package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
)

// Limits of plugin fields.
const (
	maxPluginNameLen          = 200
	maxPluginDescriptionLen   = 10000
	maxPluginDefaultConfigLen = 64 << 10
	// MinPluginRunTimeout and MaxPluginRunTimeout bound a plugin's run
	// timeout.
	MinPluginRunTimeout = time.Second
	MaxPluginRunTimeout = 7 * 24 * time.Hour
)

// Messages of the `error` event sent to instances cut off by the API.
const (
	msgSecretRotated = "the plugin secret was rotated"
	msgPluginDeleted = "the plugin was deleted"
)

// newPluginResponse returns p on the wire with its connected instances
// (on every hub replica).
func (s *Server) newPluginResponse(ctx context.Context, p *store.Plugin) *hubapi.PluginResponse {
	timeout := p.RunTimeout
	if timeout <= 0 {
		timeout = s.Runs().DefaultRunTimeout()
	}
	inst := s.Runs().Instances(ctx, p.ID)
	return &hubapi.PluginResponse{
		ID: p.ID, OwnerID: p.OwnerID, Name: p.Name, Description: p.Description, DefaultConfig: p.DefaultConfig,
		RunTimeout: hubapi.Duration(timeout), Connector: string(p.Connector), BaseURL: p.BaseURL,
		SecretRevealed: p.SecretRevealed, Online: len(inst) > 0, Instances: instanceResponses(inst),
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

// instanceResponses returns the instances on the wire.
func instanceResponses(list []gateway.InstanceInfo) []hubapi.InstanceResponse {
	out := make([]hubapi.InstanceResponse, 0, len(list))
	for _, i := range list {
		out = append(out, hubapi.InstanceResponse{ID: i.ID, PluginID: i.PluginID, OrgID: i.OrgID, Connector: i.Connector,
			RemoteAddr: i.RemoteAddr, ConnectedAt: i.ConnectedAt, LastHeartbeat: i.LastHeartbeat, Runs: i.Runs, Node: i.Node})
	}
	return out
}

// NewPluginSecret returns a new plugin secret, shaped like the UUID
// secrets Ango hands out (a random version 4 UUID), with the hash the hub
// stores.
func NewPluginSecret() (secret string, hash []byte) {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	secret = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	return secret, gateway.HashSecret(secret)
}

// checkPlugin validates a plugin's fields; errors name the field.
func (s *Server) checkPlugin(p *store.Plugin) error {
	switch {
	case p.Name == "":
		return badRequest("name is required")
	case utf8.RuneCountInString(p.Name) > maxPluginNameLen:
		return badRequest("name is longer than %d characters", maxPluginNameLen)
	case utf8.RuneCountInString(p.Description) > maxPluginDescriptionLen:
		return badRequest("description is longer than %d characters", maxPluginDescriptionLen)
	case len(p.DefaultConfig) > maxPluginDefaultConfigLen:
		return badRequest("defaultConfig is larger than %d bytes", maxPluginDefaultConfigLen)
	case !json.Valid([]byte(p.DefaultConfig)):
		return badRequest("defaultConfig is not valid JSON: %s", jsonProblem(p.DefaultConfig))
	case p.RunTimeout != 0 && (p.RunTimeout < MinPluginRunTimeout || p.RunTimeout > MaxPluginRunTimeout):
		return badRequest("runTimeout must be between %s and %s, got %s", MinPluginRunTimeout, MaxPluginRunTimeout, p.RunTimeout)
	}
	switch p.Connector {
	case store.ConnectorWS:
		if p.BaseURL != "" {
			return badRequest("baseUrl is only used by the rest connector; connector is %q", p.Connector)
		}
	case store.ConnectorREST:
		if p.BaseURL == "" {
			return badRequest("baseUrl is required for the rest connector")
		}
		if err := s.Runs().Gateway().CheckBaseURL(p.BaseURL); err != nil {
			return badRequest("baseUrl: %v", err)
		}
	default:
		return badRequest("connector must be \"ws\" or \"rest\", got %q", p.Connector)
	}
	return nil
}

// jsonProblem describes why text is not JSON.
func jsonProblem(text string) string {
	var v any
	err := json.Unmarshal([]byte(text), &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v at byte %d", err, se.Offset)
	}
	if err != nil {
		return err.Error()
	}
	return "empty"
}

// configOrEmpty returns "{}" for a blank config.
func configOrEmpty(c hubapi.ConfigText) string {
	if strings.TrimSpace(string(c)) == "" {
		return "{}"
	}
	return string(c)
}

// pluginWriteError is the answer for a failed insert or update (op) of
// p: 409 when another plugin has its name.
func pluginWriteError(op string, p *store.Plugin, err error) error {
	if isConflict(err) {
		return Errorf(http.StatusConflict, hubapi.CodeConflict, "a plugin named %q already exists", p.Name)
	}
	return fmt.Errorf("%s plugin: %w", op, err)
}

// handlePluginCreate serves POST /api/plugins: 201 with the plugin and its
// secret, shown this once (it can be rotated later).
func (s *Server) handlePluginCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.PluginCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	pr := Principal(r)
	secret, hash := NewPluginSecret()
	p := &store.Plugin{
		ID:             store.NewID(),
		OrgID:          pr.OrgID,
		OwnerID:        pr.UserID,
		Name:           strings.TrimSpace(req.Name),
		Description:    req.Description,
		DefaultConfig:  configOrEmpty(req.DefaultConfig),
		RunTimeout:     time.Duration(req.RunTimeout),
		Connector:      store.Connector(strings.ToLower(strings.TrimSpace(req.Connector))),
		BaseURL:        strings.TrimRight(strings.TrimSpace(req.BaseURL), "/"),
		SecretHash:     hash,
		SecretEnc:      s.box.Seal([]byte(secret)),
		SecretRevealed: true,
	}
	if p.Connector == "" {
		p.Connector = store.ConnectorWS
	}
	if err := s.checkPlugin(p); err != nil {
		s.WriteError(w, r, err)
		return
	}
	if err := s.store.PluginInsert(r.Context(), p); err != nil {
		s.WriteError(w, r, pluginWriteError("insert", p, err))
		return
	}
	if p.Connector == store.ConnectorREST {
		s.Runs().RefreshREST()
	}
	WriteJSON(w, http.StatusCreated, hubapi.PluginSecretResponse{PluginResponse: s.newPluginResponse(r.Context(), p), Secret: secret})
}

// handlePluginList serves GET /api/plugins: the organization's plugins,
// by name, with their connected instances.
func (s *Server) handlePluginList(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.PluginList(r.Context(), Principal(r).OrgID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.writePluginList(w, r, list)
}

func (s *Server) writePluginList(w http.ResponseWriter, r *http.Request, list []*store.Plugin) {
	out := hubapi.PluginListResponse{Plugins: make([]*hubapi.PluginResponse, 0, len(list))}
	for _, p := range list {
		out.Plugins = append(out.Plugins, s.newPluginResponse(r.Context(), p))
	}
	WriteJSON(w, http.StatusOK, out)
}

// handlePluginGet serves GET /api/plugins/{id}.
func (s *Server) handlePluginGet(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.PluginGet(r.Context(), Principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, s.newPluginResponse(r.Context(), p))
}

// loadOwnPlugin returns the plugin {id} when the caller may change it: its
// owner or an organization admin.
func (s *Server) loadOwnPlugin(r *http.Request) (*store.Plugin, error) {
	pr := Principal(r)
	p, err := s.store.PluginGet(r.Context(), pr.OrgID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if p.OwnerID != pr.UserID && !pr.IsAdmin() {
		return nil, Errorf(http.StatusForbidden, hubapi.CodeForbidden, "only the plugin's owner or an organization admin may change plugin %s", p.ID)
	}
	return p, nil
}

// handlePluginUpdate serves PATCH /api/plugins/{id} (owner or admin).
func (s *Server) handlePluginUpdate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.PluginUpdateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	p, err := s.loadOwnPlugin(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if req.Name != nil {
		p.Name = strings.TrimSpace(*req.Name)
	}
	if req.Description != nil {
		p.Description = *req.Description
	}
	if req.DefaultConfig != nil {
		p.DefaultConfig = configOrEmpty(*req.DefaultConfig)
	}
	if req.RunTimeout != nil {
		p.RunTimeout = time.Duration(*req.RunTimeout)
	}
	if req.Connector != nil {
		p.Connector = store.Connector(strings.ToLower(strings.TrimSpace(*req.Connector)))
	}
	if req.BaseURL != nil {
		p.BaseURL = strings.TrimRight(strings.TrimSpace(*req.BaseURL), "/")
	}
	if err := s.checkPlugin(p); err != nil {
		s.WriteError(w, r, err)
		return
	}
	if err := s.store.PluginUpdate(r.Context(), p); err != nil {
		s.WriteError(w, r, pluginWriteError("update", p, err))
		return
	}
	s.Runs().RefreshREST()
	WriteJSON(w, http.StatusOK, s.newPluginResponse(r.Context(), p))
}

// handlePluginDelete serves DELETE /api/plugins/{id} (owner or admin):
// connected instances are disconnected (their runs end as lost).
func (s *Server) handlePluginDelete(w http.ResponseWriter, r *http.Request) {
	p, err := s.loadOwnPlugin(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if err := s.store.PluginDelete(r.Context(), p.OrgID, p.ID); err != nil {
		s.WriteError(w, r, fmt.Errorf("delete plugin: %w", err))
		return
	}
	s.Runs().DisconnectPlugin(p.ID, msgPluginDeleted)
	s.Runs().RefreshREST()
	w.WriteHeader(http.StatusNoContent)
}

// handlePluginRotateSecret serves POST /api/plugins/{id}/rotate-secret
// (owner or admin): a new secret, shown this once. Instances connected
// with the old secret are disconnected.
func (s *Server) handlePluginRotateSecret(w http.ResponseWriter, r *http.Request) {
	p, err := s.loadOwnPlugin(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	secret, hash := NewPluginSecret()
	p.SecretHash, p.SecretEnc, p.SecretRevealed = hash, s.box.Seal([]byte(secret)), true
	if err := s.store.PluginUpdate(r.Context(), p); err != nil {
		s.WriteError(w, r, fmt.Errorf("update plugin: %w", err))
		return
	}
	s.Runs().DisconnectPlugin(p.ID, msgSecretRotated)
	WriteJSON(w, http.StatusOK, hubapi.PluginSecretResponse{PluginResponse: s.newPluginResponse(r.Context(), p), Secret: secret})
}

// handlePluginRevealSecret serves POST /api/plugins/{id}/reveal-secret
// (owner or admin): the current secret, once; 409 when it was shown
// already (rotate it then).
func (s *Server) handlePluginRevealSecret(w http.ResponseWriter, r *http.Request) {
	p, err := s.loadOwnPlugin(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if p.SecretRevealed {
		s.WriteError(w, r, Errorf(http.StatusConflict, hubapi.CodeConflict, "the secret of plugin %s was already revealed; rotate it to get a new one", p.ID))
		return
	}
	secret, err := s.box.Open(p.SecretEnc)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("open plugin secret: %w", err))
		return
	}
	p.SecretRevealed = true
	if err := s.store.PluginUpdate(r.Context(), p); err != nil {
		s.WriteError(w, r, fmt.Errorf("update plugin: %w", err))
		return
	}
	WriteJSON(w, http.StatusOK, hubapi.PluginSecretResponse{PluginResponse: s.newPluginResponse(r.Context(), p), Secret: string(secret)})
}

// handleProjectPluginList serves GET /api/projects/{pid}/plugins: the
// plugins enabled on the project (Settings, Plugins).
func (s *Server) handleProjectPluginList(w http.ResponseWriter, r *http.Request) {
	project, err := s.LoadProject(r.Context(), r.PathValue("pid"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	list, err := s.store.ProjectPluginList(r.Context(), project.OrgID, project.ID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.writePluginList(w, r, list)
}

// handleProjectPluginEnable serves POST /api/projects/{pid}/plugins/{id}:
// the plugin appears in the project's plugin list (idempotent).
func (s *Server) handleProjectPluginEnable(w http.ResponseWriter, r *http.Request) {
	project, err := s.LoadProject(r.Context(), r.PathValue("pid"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	p, err := s.store.PluginGet(r.Context(), project.OrgID, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if err := s.store.ProjectPluginEnable(r.Context(), project.OrgID, project.ID, p.ID); err != nil {
		s.WriteError(w, r, fmt.Errorf("enable plugin: %w", err))
		return
	}
	WriteJSON(w, http.StatusOK, s.newPluginResponse(r.Context(), p))
}

// handleProjectPluginDisable serves DELETE
// /api/projects/{pid}/plugins/{id}; 404 when it was not enabled.
func (s *Server) handleProjectPluginDisable(w http.ResponseWriter, r *http.Request) {
	project, err := s.LoadProject(r.Context(), r.PathValue("pid"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if err := s.store.ProjectPluginDisable(r.Context(), project.OrgID, project.ID, r.PathValue("id")); err != nil {
		s.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
