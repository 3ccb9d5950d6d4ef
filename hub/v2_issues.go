package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/issues"
)

// NewV2Issue returns an issue as the /v2 listings show it (asset: the
// asset's id) or, for the issue export, with asset {_id, externalId,
// batches}; the keys an imported issue had that the hub does not read
// follow Ango's.
func NewV2Issue(i *hubtype.Issue, export bool) (json.RawMessage, error) {
	v := hubapi.V2Issue{ID: i.ID, Content: i.Content, Status: string(i.Status), ErrorCode: i.ErrorCode, ErrorType: i.ErrorType,
		ErrorCodes: i.ErrorCodes, CreatedBy: i.CreatedBy, CreatedAt: hubapi.AngoTime(i.CreatedAt), UpdatedBy: i.UpdatedBy, UpdatedAt: hubapi.AngoTime(i.UpdatedAt),
		Project: i.ProjectID, LabelTask: i.TaskID, Stage: i.Stage, StageID: i.StageID, ObjectID: i.ObjectID,
		Position: i.Position, Page: i.Page, PageEnd: i.PageEnd, ContentMentions: i.ContentMentions,
		Comments: orEmpty(i.Comments, "[]")}
	switch {
	case export:
		batches := i.Batches
		if batches == nil {
			batches = []string{}
		}
		v.Asset = hubapi.V2IssueAsset{ID: i.AssetID, ExternalID: i.ExternalID, Batches: batches}
	case i.AssetID != "":
		v.Asset = i.AssetID
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode issue %s: %w", i.ID, err)
	}
	if len(i.Extra) == 0 {
		return b, nil
	}
	var extra map[string]json.RawMessage
	if err := json.Unmarshal(i.Extra, &extra); err != nil {
		return nil, fmt.Errorf("issue %s extra keys: %w", i.ID, err)
	}
	have := map[string]bool{}
	if _, err := rewriteObject(b, func(key string, value []byte) ([]byte, bool, error) {
		have[key] = true
		return value, true, nil
	}); err != nil {
		return nil, err
	}
	// Append the extra keys, in the stored (sorted) order, to the object.
	out := bytes.NewBuffer(b[:len(b)-1])
	_, err = rewriteObject(i.Extra, func(key string, value []byte) ([]byte, bool, error) {
		if !have[key] {
			k, _ := json.Marshal(key) // a string always encodes
			out.WriteByte(',')
			out.Write(k)
			out.WriteByte(':')
			out.Write(value)
		}
		return value, true, nil
	})
	if err != nil {
		return nil, err
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// writeIssue answers one issue as {"issue": ...}.
func (s *Server) writeIssue(w http.ResponseWriter, r *http.Request, i *hubtype.Issue) {
	b, err := NewV2Issue(i, false)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteData(w, hubapi.V2IssueResponse{Issue: b})
}

// handleV2Issues serves GET
// /v2/issues?project=&asset=&labelTask=&stage=&createdBy=&status=[&page&limit]:
// the project's issues, oldest first; every issue matching without page
// and limit.
func (s *Server) handleV2Issues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := &issues.ListParams{ProjectID: q.Get("project"), AssetID: q.Get("asset"), TaskID: q.Get("labelTask"),
		StageID: q.Get("stage"), CreatedBy: q.Get("createdBy"), Status: q.Get("status")}
	if q.Get("page") != "" || q.Get("limit") != "" {
		var err error
		if p.Offset, p.Limit, err = parseV2Page(q); err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	s.noteRunActivity(r)
	list, total, err := s.issues.List(r.Context(), Principal(r), p)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.V2IssueListResponse{Issue: []json.RawMessage{}, Total: total}
	for _, i := range list {
		b, err := NewV2Issue(i, false)
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		out.Issue = append(out.Issue, b)
	}
	WriteData(w, out)
}

// handleV2IssueCreate serves POST /v2/issues.
func (s *Server) handleV2IssueCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.V2IssueCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.noteRunActivity(r)
	i, err := s.issues.Create(r.Context(), Principal(r), &issues.CreateParams{TaskID: req.LabelTask, Content: req.Content,
		Position: req.Position, ObjectID: req.ObjectID, ErrorCodes: req.ErrorCodes, ContentMentions: req.ContentMentions,
		Page: req.Page, PageEnd: req.PageEnd})
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.writeIssue(w, r, i)
}

// handleV2IssueUpdate serves POST /v2/issues/{id}.
func (s *Server) handleV2IssueUpdate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.V2IssueUpdateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.noteRunActivity(r)
	i, err := s.issues.Update(r.Context(), Principal(r), &issues.UpdateParams{ID: r.PathValue("id"), ProjectID: req.Project,
		Status: req.Status, Content: req.Content, ObjectID: req.ObjectID, Position: req.Position, ErrorCodes: req.ErrorCodes,
		ContentMentions: req.ContentMentions})
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.writeIssue(w, r, i)
}

// handleV2IssueComment serves POST /v2/issues/{id}/comment.
func (s *Server) handleV2IssueComment(w http.ResponseWriter, r *http.Request) {
	var req hubapi.V2IssueCommentRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.noteRunActivity(r)
	i, err := s.issues.Comment(r.Context(), Principal(r), &issues.CommentParams{ID: r.PathValue("id"), Content: req.Content,
		ContentMentions: req.ContentMentions})
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.writeIssue(w, r, i)
}

// handleV2IssueDelete serves DELETE /v2/issues/{id}?project=.
func (s *Server) handleV2IssueDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.issues.Delete(r.Context(), Principal(r), &issues.DeleteParams{ID: id, ProjectID: r.URL.Query().Get("project")}); err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteData(w, hubapi.V2MessageResponse{Message: "issue " + id + " deleted"})
}

// handleProjectIssueImport serves POST /api/projects/{id}/issues/import:
// the body is an Ango issue export (a JSON array of issues or NDJSON, or
// a zip whose first entry is one), read as it is imported.
func (s *Server) handleProjectIssueImport(w http.ResponseWriter, r *http.Request) {
	body, cleanup, err := s.importBody(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	defer cleanup()
	res, err := s.issues.Import(r.Context(), Principal(r), &issues.ImportParams{ProjectID: r.PathValue("id"),
		Mode: hubtype.ImportMode(r.URL.Query().Get("mode")), Body: body})
	if err != nil {
		s.WriteError(w, r, importZipError(err))
		return
	}
	WriteJSON(w, http.StatusOK, hubapi.IssueImportResponse{Imported: res.Imported, Inserted: res.Inserted, Updated: res.Updated})
}

// writeIssueExport writes the issues of project projectID, as the issue
// export shows them, to w: a JSON array, or one issue a line for NDJSON.
// It returns the number of issues written.
func (s *Server) writeIssueExport(r *http.Request, w io.Writer, projectID string, format aaf.Format) (int64, error) {
	var n int64
	if format != aaf.FormatNDJSON {
		if _, err := io.WriteString(w, "["); err != nil {
			return 0, err
		}
	}
	for i, err := range s.issues.All(r.Context(), Principal(r), projectID) {
		if err != nil {
			return n, err
		}
		b, err := NewV2Issue(i, true)
		if err != nil {
			return n, err
		}
		sep := "\n"
		if format != aaf.FormatNDJSON && n > 0 {
			sep = ",\n"
		}
		if format == aaf.FormatNDJSON {
			sep = ""
			b = append(b, '\n')
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return n, err
		}
		if _, err := w.Write(b); err != nil {
			return n, err
		}
		n++
	}
	if format != aaf.FormatNDJSON {
		if _, err := io.WriteString(w, "\n]\n"); err != nil {
			return n, err
		}
	}
	return n, nil
}
