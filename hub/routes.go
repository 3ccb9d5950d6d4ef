package hub

import (
	"net/http"

	"github.com/exporthub/exporthub/hub/hubapi"
)

// routes builds the server's mux: the core routes, then every registered
// RouteFunc.
func (s *Server) routes(extra []RouteFunc) http.Handler {
	mux := http.NewServeMux()

	s.Handle(mux, "GET /healthz", AccessPublic, s.handleHealth)
	mux.Handle("GET /metrics", s.handleMetrics())

	s.Handle(mux, "POST /api/projects", AccessMember, s.handleProjectCreate)
	s.Handle(mux, "GET /api/projects", AccessMember, s.handleProjectList)
	s.Handle(mux, "GET /api/projects/{id}", AccessMember, s.handleProjectGet)
	s.Handle(mux, "PATCH /api/projects/{id}", AccessMember, s.handleProjectUpdate)
	s.Handle(mux, "DELETE /api/projects/{id}", AccessMember, s.handleProjectDelete)
	s.Handle(mux, "POST /api/projects/{id}/import", AccessMember, s.handleProjectImport, WithMaxBody(s.cfg.MaxImportBytes))
	s.Handle(mux, "GET /api/projects/{id}/export", AccessMember, s.handleProjectExport)

	s.Handle(mux, "GET /api/me", AccessMember, s.handleMe)
	s.Handle(mux, "GET /api/users", AccessAdmin, s.handleUserList)
	s.Handle(mux, "POST /api/users", AccessAdmin, s.handleUserCreate)
	s.Handle(mux, "DELETE /api/users/{id}", AccessAdmin, s.handleUserDelete)
	s.Handle(mux, "GET /api/keys", AccessMember, s.handleKeyList)
	s.Handle(mux, "POST /api/keys", AccessMember, s.handleKeyCreate)
	s.Handle(mux, "DELETE /api/keys/{id}", AccessMember, s.handleKeyRevoke)

	s.Handle(mux, "GET /api/storages", AccessMember, s.handleStorageList)
	s.Handle(mux, "POST /api/storages", AccessAdmin, s.handleStorageCreate)
	s.Handle(mux, "GET /api/storages/{id}", AccessMember, s.handleStorageGet)
	s.Handle(mux, "DELETE /api/storages/{id}", AccessAdmin, s.handleStorageDelete)

	s.Handle(mux, "GET /v2/export", AccessRun, s.handleV2Export)
	s.Handle(mux, "GET /v2/getUploadUrl", AccessRun, s.handleV2UploadURL)
	s.Handle(mux, "GET /v2/getSignedUrl", AccessRun, s.handleV2SignedURL)
	s.Handle(mux, "GET /v2/storages", AccessRun, s.handleV2Storages)
	s.Handle(mux, "GET /v2/project/{id}", AccessRun, s.handleV2Project)

	s.mountBlobs(mux)

	// Unknown API paths answer the JSON error envelope, not a text page.
	notFound := func(w http.ResponseWriter, r *http.Request) {
		s.WriteError(w, r, Errorf(http.StatusNotFound, hubapi.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	}
	s.Handle(mux, "/api/", AccessPublic, notFound)
	s.Handle(mux, "/v2/", AccessPublic, notFound)

	for _, f := range extra {
		f(s, mux)
	}
	return mux
}

// handleHealth answers 200 {"status":"ok"} when the database and the blob
// storage answer, 503 otherwise.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if err := s.store.Ping(r.Context()); err != nil {
		s.log.WarnContext(r.Context(), "health: database", "error", err)
		s.WriteError(w, r, Errorf(http.StatusServiceUnavailable, hubapi.CodeUnavailable, "database is not answering"))
		return
	}
	if err := s.pingBlobs(r.Context()); err != nil {
		s.log.WarnContext(r.Context(), "health: blob storage", "error", err)
		s.WriteError(w, r, Errorf(http.StatusServiceUnavailable, hubapi.CodeUnavailable, "blob storage is not answering"))
		return
	}
	WriteJSON(w, http.StatusOK, hubapi.HealthResponse{Status: "ok"})
}
