package hub

import (
	"context"
	"net/http"
	"time"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/plugins"
	"github.com/exporthub/exporthub/hub/store"
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

// handlePluginCreate serves POST /api/plugins: 201 with the plugin and its
// secret, shown this once (it can be rotated later).
func (s *Server) handlePluginCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.PluginCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	p, secret, err := s.plugins.Create(r.Context(), Principal(r), &plugins.CreateParams{
		Name: req.Name, Description: req.Description, DefaultConfig: string(req.DefaultConfig),
		RunTimeout: time.Duration(req.RunTimeout), Connector: hubtype.Connector(req.Connector), BaseURL: req.BaseURL,
		ShowSecret: true,
	})
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, hubapi.PluginSecretResponse{PluginResponse: s.newPluginResponse(r.Context(), p), Secret: secret})
}

// handlePluginList serves GET /api/plugins: the organization's plugins,
// by name, with their connected instances.
func (s *Server) handlePluginList(w http.ResponseWriter, r *http.Request) {
	list, err := s.plugins.List(r.Context(), Principal(r))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.writePluginList(w, r, list)
}

func (s *Server) writePluginList(w http.ResponseWriter, r *http.Request, list []*hubtype.Plugin) {
	out := hubapi.PluginListResponse{Plugins: make([]*hubapi.PluginResponse, 0, len(list))}
	for _, p := range list {
		out.Plugins = append(out.Plugins, s.newPluginResponse(r.Context(), p))
	}
	WriteJSON(w, http.StatusOK, out)
}

// handlePluginGet serves GET /api/plugins/{id}.
func (s *Server) handlePluginGet(w http.ResponseWriter, r *http.Request) {
	p, err := s.plugins.Get(r.Context(), Principal(r), r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, s.newPluginResponse(r.Context(), p))
}

// handlePluginUpdate serves PATCH /api/plugins/{id} (owner or admin).
func (s *Server) handlePluginUpdate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.PluginUpdateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	params := &plugins.UpdateParams{ID: r.PathValue("id"), Name: req.Name, Description: req.Description, BaseURL: req.BaseURL}
	if req.DefaultConfig != nil {
		c := string(*req.DefaultConfig)
		params.DefaultConfig = &c
	}
	if req.RunTimeout != nil {
		d := time.Duration(*req.RunTimeout)
		params.RunTimeout = &d
	}
	if req.Connector != nil {
		c := hubtype.Connector(*req.Connector)
		params.Connector = &c
	}
	p, err := s.plugins.Update(r.Context(), Principal(r), params)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, s.newPluginResponse(r.Context(), p))
}

// handlePluginDelete serves DELETE /api/plugins/{id} (owner or admin):
// connected instances are disconnected (their runs end as lost).
func (s *Server) handlePluginDelete(w http.ResponseWriter, r *http.Request) {
	if _, err := s.plugins.Delete(r.Context(), Principal(r), r.PathValue("id")); err != nil {
		s.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handlePluginRotateSecret serves POST /api/plugins/{id}/rotate-secret
// (owner or admin): a new secret, shown this once. Instances connected
// with the old secret are disconnected.
func (s *Server) handlePluginRotateSecret(w http.ResponseWriter, r *http.Request) {
	p, secret, err := s.plugins.RotateSecret(r.Context(), Principal(r), r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, hubapi.PluginSecretResponse{PluginResponse: s.newPluginResponse(r.Context(), p), Secret: secret})
}

// handlePluginRevealSecret serves POST /api/plugins/{id}/reveal-secret
// (owner or admin): the current secret, once; 409 when it was shown
// already (rotate it then).
func (s *Server) handlePluginRevealSecret(w http.ResponseWriter, r *http.Request) {
	p, secret, err := s.plugins.RevealSecret(r.Context(), Principal(r), r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, hubapi.PluginSecretResponse{PluginResponse: s.newPluginResponse(r.Context(), p), Secret: secret})
}

// handleProjectPluginList serves GET /api/projects/{pid}/plugins: the
// plugins enabled on the project (Settings, Plugins).
func (s *Server) handleProjectPluginList(w http.ResponseWriter, r *http.Request) {
	list, err := s.plugins.ProjectPlugins(r.Context(), Principal(r), r.PathValue("pid"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.writePluginList(w, r, list)
}

// handleProjectPluginEnable serves POST /api/projects/{pid}/plugins/{id}
// (organization admins): the plugin appears in the project's plugin list
// (idempotent).
func (s *Server) handleProjectPluginEnable(w http.ResponseWriter, r *http.Request) {
	p, err := s.plugins.Enable(r.Context(), Principal(r), &plugins.ProjectPluginParams{ProjectID: r.PathValue("pid"), PluginID: r.PathValue("id")})
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, s.newPluginResponse(r.Context(), p))
}

// handleProjectPluginDisable serves DELETE
// /api/projects/{pid}/plugins/{id} (organization admins); 404 when it
// was not enabled.
func (s *Server) handleProjectPluginDisable(w http.ResponseWriter, r *http.Request) {
	if _, err := s.plugins.Disable(r.Context(), Principal(r), &plugins.ProjectPluginParams{ProjectID: r.PathValue("pid"), PluginID: r.PathValue("id")}); err != nil {
		s.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
