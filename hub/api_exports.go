package hub

import (
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
)

// downloadURLExpiry is how long the presigned URL a download redirects to
// works; the client follows it at once.
const downloadURLExpiry = 5 * time.Minute

// NewExportResponse returns e on the wire.
func NewExportResponse(e *store.Export) *hubapi.ExportResponse {
	return &hubapi.ExportResponse{
		ID: e.ID, ProjectID: e.ProjectID, RunID: e.RunID, PluginID: e.PluginID, UserID: e.UserID,
		FileName: e.FileName, Size: e.Size, SHA256: e.SHA256, StorageID: e.StorageID, Bucket: e.Bucket,
		ObjectKey: e.ObjectKey, DownloadURL: runs.ExportDownloadPath(e.ID), CreatedAt: e.CreatedAt,
	}
}

// handleExportList serves GET /api/projects/{pid}/exports, newest first.
func (s *Server) handleExportList(w http.ResponseWriter, r *http.Request) {
	list, err := s.projects.Exports(r.Context(), Principal(r), r.PathValue("pid"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.ExportListResponse{Exports: make([]*hubapi.ExportResponse, 0, len(list))}
	for _, e := range list {
		out.Exports = append(out.Exports, NewExportResponse(e))
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleExportGet serves GET /api/exports/{id}.
func (s *Server) handleExportGet(w http.ResponseWriter, r *http.Request) {
	e, err := s.projects.Export(r.Context(), Principal(r), r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, NewExportResponse(e))
}

// handleExportDownload serves GET /api/exports/{id}/download: a file in
// the hub's storage is streamed as an attachment (ranges supported); a
// file in an organization storage is a 302 to a presigned URL valid for
// a few minutes.
func (s *Server) handleExportDownload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	e, err := s.projects.Export(ctx, Principal(r), r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	bk, err := s.exportBucket(ctx, e.OrgID, e.StorageID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if e.StorageID != "" {
		u, _, err := bk.SignedURL(ctx, e.ObjectKey, http.MethodGet, downloadURLExpiry)
		if err != nil {
			s.WriteError(w, r, fmt.Errorf("sign download url: %w", err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, u, http.StatusFound)
		return
	}
	rd, err := bk.NewReader(ctx, e.ObjectKey)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("open export %s: %w", e.ID, err))
		return
	}
	defer rd.Close()
	h := w.Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.FileName}))
	if ct := rd.ContentType(); ct != "" {
		h.Set("Content-Type", ct)
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("X-Content-SHA256", e.SHA256)
	http.ServeContent(w, r, "", e.CreatedAt, rd)
}
