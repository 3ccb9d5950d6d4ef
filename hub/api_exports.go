package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
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
// a few minutes. What the hub streams is checked against the recorded
// size and SHA-256: a file changed after it was recorded is refused (a
// size mismatch, or any mismatch before a range is served) or cut short
// before its last bytes, so a client never receives a complete download
// that differs from X-Content-SHA256.
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
	if rd.Size() != e.Size {
		s.log.ErrorContext(ctx, "export changed after it was recorded", slog.String("export", e.ID), slog.Int64("size", rd.Size()), slog.Int64("recorded_size", e.Size))
		s.WriteError(w, r, errExportChanged)
		return
	}
	content := io.ReadSeeker(rd)
	if r.Header.Get("Range") != "" || r.Method == http.MethodHead {
		// A part cannot be checked alone: check the whole file first.
		if err := checkSHA256(rd, e.SHA256); err != nil {
			s.log.ErrorContext(ctx, "export changed after it was recorded", slog.String("export", e.ID), slog.Any("error", err))
			s.WriteError(w, r, errExportChanged)
			return
		}
		if _, err := rd.Seek(0, io.SeekStart); err != nil {
			s.WriteError(w, r, fmt.Errorf("open export %s: %w", e.ID, err))
			return
		}
	} else {
		content = &verifyingReader{r: rd, size: e.Size, want: e.SHA256, h: sha256.New()}
	}
	h := w.Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.FileName}))
	if ct := rd.ContentType(); ct != "" {
		h.Set("Content-Type", ct)
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("X-Content-SHA256", e.SHA256)
	http.ServeContent(w, r, "", e.CreatedAt, content)
}

// errExportChanged answers a download whose stored file no longer matches
// what was recorded.
var errExportChanged = Errorf(http.StatusConflict, hubapi.CodeConflict, "the stored export file no longer matches its recorded SHA-256; it is not served")

// checkSHA256 reads r to the end and compares its SHA-256 with want (hex).
func checkSHA256(r io.Reader, want string) error {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("sha256 %s, recorded %s", got, want)
	}
	return nil
}

// verifyingReader streams a whole export and hashes it on the way; the
// read that would complete it fails instead when the hash differs from
// the recorded one, so the response ends short of its Content-Length.
// Seek is only used by http.ServeContent to find the size.
type verifyingReader struct {
	r    io.ReadSeeker
	size int64
	want string
	h    hash.Hash
	n    int64
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n >= v.size && (n > 0 || v.size == 0) {
		if hex.EncodeToString(v.h.Sum(nil)) != v.want {
			return 0, errors.New("export file does not match its recorded SHA-256")
		}
	}
	return n, err
}

func (v *verifyingReader) Seek(offset int64, whence int) (int64, error) {
	return v.r.Seek(offset, whence)
}
