package hub

import (
	"context"
	"net/http"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/hubapi"
)

// routes builds the server's mux: every route of the hub, in one table.
// Routes registered with [Server.Handle] get panic recovery, request
// metrics, the body bound and authentication for their access level.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	s.Handle(mux, "GET /livez", AccessPublic, s.handleLive)
	s.Handle(mux, "GET /readyz", AccessPublic, s.handleReady)
	s.Handle(mux, "GET /healthz", AccessPublic, s.handleReady)
	mux.Handle("GET /metrics", s.handleMetrics())

	// Projects and their data.
	s.Handle(mux, "POST /api/projects", AccessMember, s.handleProjectCreate)
	s.Handle(mux, "GET /api/projects", AccessMember, s.handleProjectList)
	s.Handle(mux, "GET /api/projects/{id}", AccessMember, s.handleProjectGet)
	s.Handle(mux, "PATCH /api/projects/{id}", AccessMember, s.handleProjectUpdate)
	s.Handle(mux, "DELETE /api/projects/{id}", AccessMember, s.handleProjectDelete)
	s.Handle(mux, "POST /api/projects/{id}/import", AccessMember, s.handleProjectImport, WithMaxBody(s.cfg.MaxImportBytes))
	s.Handle(mux, "POST /api/projects/{id}/issues/import", AccessMember, s.handleProjectIssueImport, WithMaxBody(s.cfg.MaxImportBytes))
	s.Handle(mux, "GET /api/projects/{id}/export", AccessMember, s.handleProjectExport)

	// Users and API keys.
	s.Handle(mux, "GET /api/me", AccessMember, s.handleMe)
	s.Handle(mux, "GET /api/users", AccessAdmin, s.handleUserList)
	s.Handle(mux, "POST /api/users", AccessAdmin, s.handleUserCreate)
	s.Handle(mux, "DELETE /api/users/{id}", AccessAdmin, s.handleUserDelete)
	s.Handle(mux, "GET /api/keys", AccessMember, s.handleKeyList)
	s.Handle(mux, "POST /api/keys", AccessMember, s.handleKeyCreate)
	s.Handle(mux, "DELETE /api/keys/{id}", AccessMember, s.handleKeyRevoke)

	// Organization storages.
	s.Handle(mux, "GET /api/storages", AccessMember, s.handleStorageList)
	s.Handle(mux, "POST /api/storages", AccessAdmin, s.handleStorageCreate)
	s.Handle(mux, "GET /api/storages/{id}", AccessMember, s.handleStorageGet)
	s.Handle(mux, "DELETE /api/storages/{id}", AccessAdmin, s.handleStorageDelete)

	// Plugins and their projects.
	s.Handle(mux, "POST /api/plugins", AccessMember, s.handlePluginCreate)
	s.Handle(mux, "GET /api/plugins", AccessMember, s.handlePluginList)
	s.Handle(mux, "GET /api/plugins/{id}", AccessMember, s.handlePluginGet)
	s.Handle(mux, "PATCH /api/plugins/{id}", AccessMember, s.handlePluginUpdate)
	s.Handle(mux, "DELETE /api/plugins/{id}", AccessMember, s.handlePluginDelete)
	s.Handle(mux, "POST /api/plugins/{id}/rotate-secret", AccessMember, s.handlePluginRotateSecret)
	s.Handle(mux, "POST /api/plugins/{id}/reveal-secret", AccessMember, s.handlePluginRevealSecret)
	s.Handle(mux, "GET /api/projects/{pid}/plugins", AccessMember, s.handleProjectPluginList)
	s.Handle(mux, "POST /api/projects/{pid}/plugins/{id}", AccessMember, s.handleProjectPluginEnable)
	s.Handle(mux, "DELETE /api/projects/{pid}/plugins/{id}", AccessMember, s.handleProjectPluginDisable)

	// Runs, their logs and exports.
	s.Handle(mux, "POST /api/projects/{pid}/plugins/{id}/runs", AccessMember, s.handleRunCreate)
	s.Handle(mux, "GET /api/projects/{pid}/runs", AccessMember, s.handleProjectRunList)
	s.Handle(mux, "GET /api/runs", AccessMember, s.handleRunList)
	s.Handle(mux, "GET /api/runs/{id}", AccessMember, s.handleRunGet)
	s.Handle(mux, "POST /api/runs/{id}/cancel", AccessMember, s.handleRunCancel)
	s.Handle(mux, "GET /api/runs/{id}/logs", AccessMember, s.handleRunLogs)
	s.Handle(mux, "GET /api/runs/{id}/logs/stream", AccessMember, s.handleRunLogStream)
	s.Handle(mux, "GET /api/projects/{pid}/exports", AccessMember, s.handleExportList)
	s.Handle(mux, "GET /api/exports/{id}", AccessMember, s.handleExportGet)
	s.Handle(mux, "GET /api/exports/{id}/download", AccessMember, s.handleExportDownload)

	// Notifications and the organization webhook.
	s.Handle(mux, "GET /api/notifications", AccessMember, s.handleNotificationList)
	s.Handle(mux, "GET /api/notifications/unread-count", AccessMember, s.handleNotificationUnreadCount)
	s.Handle(mux, "POST /api/notifications/read", AccessMember, s.handleNotificationMarkRead)
	s.Handle(mux, "GET /api/notifications/stream", AccessMember, s.handleNotificationStream)
	s.Handle(mux, "GET /api/org/webhook", AccessAdmin, s.handleWebhookGet)
	s.Handle(mux, "PUT /api/org/webhook", AccessAdmin, s.handleWebhookPut)
	s.Handle(mux, "DELETE /api/org/webhook", AccessAdmin, s.handleWebhookDelete)

	// The plugin side: the Socket.IO gateway and the /v2 API of Ango's
	// SDK (run tokens reach their own project and run only).
	mux.Handle("/socket.io/", s.runs.Handler())
	s.Handle(mux, "GET /v2/export", AccessRun, s.handleV2Export)
	s.Handle(mux, "GET /v2/getUploadUrl", AccessRun, s.handleV2UploadURL)
	s.Handle(mux, "GET /v2/getSignedUrl", AccessRun, s.handleV2SignedURL)
	s.Handle(mux, "GET /v2/storages", AccessRun, s.handleV2Storages)
	s.Handle(mux, "GET /v2/project/{id}", AccessRun, s.handleV2Project)
	s.Handle(mux, "GET /v2/project/{id}/assets", AccessRun, s.handleV2Assets)
	s.Handle(mux, "GET /v2/project/{id}/tasks", AccessRun, s.handleV2Tasks)
	s.Handle(mux, "GET /v2/task/{id}", AccessRun, s.handleV2Task)
	s.Handle(mux, "GET /v2/task/{id}/history", AccessRun, s.handleV2TaskHistory)
	s.Handle(mux, "GET /v2/listProjects", AccessRun, s.handleV2ListProjects)
	s.Handle(mux, "GET /v2/issues", AccessRun, s.handleV2Issues)
	s.Handle(mux, "POST /v2/issues", AccessRun, s.handleV2IssueCreate)
	s.Handle(mux, "POST /v2/issues/{id}", AccessRun, s.handleV2IssueUpdate)
	s.Handle(mux, "POST /v2/issues/{id}/comment", AccessRun, s.handleV2IssueComment)
	s.Handle(mux, "DELETE /v2/issues/{id}", AccessRun, s.handleV2IssueDelete)
	overview := s.v2OverviewMux() // GET /v2/{projectId}/overview/{metric}
	s.Handle(mux, "POST /v2/pluginLog", AccessRun, s.handleV2PluginLog)
	s.Handle(mux, "POST /v2/pluginResponse", AccessRun, s.handleV2PluginResponse)

	// The hub's own presigned URLs, and those of proxied organization
	// storages.
	mux.Handle(blob.HandlerPath, s.blobs.Handler())
	mux.Handle(blob.StorageHandlerPath, s.blobs.StorageHandler(s.store.StorageGet))

	// Unknown API paths answer the JSON error envelope, not a text page.
	notFound := func(w http.ResponseWriter, r *http.Request) {
		s.WriteError(w, r, Errorf(http.StatusNotFound, hubapi.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	}
	s.Handle(mux, "/api/", AccessPublic, notFound)
	s.Handle(mux, "/v2/", AccessPublic, func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := overview.Handler(r); pattern != "" {
			overview.ServeHTTP(w, r) // sets the path values
			return
		}
		notFound(w, r)
	})

	// The web UI's pages and browser endpoints (web.UI.Routes lists
	// them); they authenticate their sessions themselves.
	for _, r := range s.ui.Routes() {
		s.Handle(mux, r.Pattern, AccessPublic, r.Handler.ServeHTTP)
	}

	if s.cfg.RoutesFunc != nil {
		s.cfg.RoutesFunc(s, mux)
	}
	return mux
}

// readyTimeout bounds each check of GET /readyz: a load balancer's probe
// gets its answer in about that time however slow the database or the
// blob store is.
const readyTimeout = 2 * time.Second

// handleLive serves GET /livez: 200 while the process serves requests. It
// checks nothing else, so a restart is never triggered by a database or
// blob store outage.
func (s *Server) handleLive(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, hubapi.HealthResponse{Status: "ok"})
}

// handleReady serves GET /readyz (and /healthz): 200 when the database
// answers within readyTimeout, 503 otherwise; the blob store's state is
// reported, and fails readiness only with Config.ReadyRequiresBlob. Both
// are checked at once.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	blobErr := make(chan error, 1)
	go func() { blobErr <- s.pingBlobs(ctx) }()
	out := hubapi.HealthResponse{Status: "ok", Database: "ok", Blob: "ok"}
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "ready: database", "error", err)
		out.Database = "unavailable"
		out.Status, out.Code, out.Message = "fail", hubapi.CodeUnavailable, "database is not answering"
	}
	if err := <-blobErr; err != nil {
		s.log.WarnContext(r.Context(), "ready: blob storage", "error", err)
		out.Blob = "unavailable"
		if s.cfg.ReadyRequiresBlob && out.Status == "ok" {
			out.Status, out.Code, out.Message = "fail", hubapi.CodeUnavailable, "blob storage is not answering"
		}
	}
	status := http.StatusOK
	if out.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	WriteJSON(w, status, out)
}
