package hub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
)

// exportBufferSize is the write buffer of an export stream.
const exportBufferSize = 256 << 10

// handleProjectExport serves GET /api/projects/{id}/export: the project's
// assets (filtered by stage and batches) streamed as NDJSON (default) or
// as one JSON array, exactly as imported.
func (s *Server) handleProjectExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.LoadProject(ctx, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	format, err := parseFormatParam(r.URL.Query().Get("format"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	f, err := ParseExportFilter(r.URL.Query(), p)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	lp := f.ListParams(p.ID)
	n, err := s.store.AssetCount(ctx, &lp)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("count assets: %w", err))
		return
	}
	ctype, ext := "application/x-ndjson", ".ndjson"
	if format == aaf.FormatJSON {
		ctype, ext = "application/json", ".json"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", exportFileName(p)+ext))
	w.Header().Set(hubapi.HeaderTotalCount, strconv.FormatInt(n, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := WriteExport(ctx, w, s.store, lp, format, f.Shape); err != nil {
		// The status is sent; the client sees a truncated body (no final
		// newline / closing bracket) and the connection is aborted.
		s.log.WarnContext(ctx, "export stream ended early", "project_id", p.ID, "error", err)
		panic(http.ErrAbortHandler)
	}
}

// parseFormatParam reads the "format" parameter: ndjson (default) or json.
func parseFormatParam(v string) (aaf.Format, error) {
	if v == "" {
		return aaf.FormatNDJSON, nil
	}
	f, err := aaf.ParseFormat(v)
	if err != nil {
		return 0, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "format %q is not one of ndjson, json", v)
	}
	return f, nil
}

// exportFileName returns a file-system-safe base name for a project's
// export: its name, or its id when the name has nothing usable.
func exportFileName(p *store.Project) string {
	var b strings.Builder
	for _, r := range p.Name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), "._")
	if name == "" || len(name) > 100 {
		return p.ID
	}
	return name
}

// WriteExport streams the assets selected by lp to w as NDJSON (one
// compact asset per line) or a JSON array, page by page, so memory stays
// flat at any project size, each asset as imported less what shape leaves
// out. It returns the number of assets written.
func WriteExport(ctx context.Context, w io.Writer, st store.Store, lp store.AssetListParams, format aaf.Format, shape AssetShape) (int64, error) {
	bw := bufio.NewWriterSize(w, exportBufferSize)
	var n int64
	var compact bytes.Buffer
	if format == aaf.FormatJSON {
		bw.WriteByte('[')
	}
	for a, err := range store.AssetAll(ctx, st, lp) {
		if err != nil {
			return n, fmt.Errorf("list assets: %w", err)
		}
		data, err := shape.Apply(a.Data)
		if err != nil {
			return n, fmt.Errorf("asset %q: %w", a.ExternalID, err)
		}
		if bytes.IndexByte(data, '\n') >= 0 || bytes.IndexByte(data, '\r') >= 0 {
			// Imported from a pretty-printed array: one line per asset.
			compact.Reset()
			if err := json.Compact(&compact, data); err != nil {
				return n, fmt.Errorf("compact asset %q: %w", a.ExternalID, err)
			}
			data = compact.Bytes()
		}
		if format == aaf.FormatJSON {
			if n > 0 {
				bw.WriteByte(',')
			}
			bw.WriteByte('\n')
		}
		if _, err := bw.Write(data); err != nil {
			return n, fmt.Errorf("write export: %w", err)
		}
		if format == aaf.FormatNDJSON {
			bw.WriteByte('\n')
		}
		n++
	}
	if format == aaf.FormatJSON {
		if n > 0 {
			bw.WriteByte('\n')
		}
		bw.WriteString("]\n")
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("write export: %w", err)
	}
	return n, nil
}
