package hub

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
)

// handleV2ListProjects serves GET /v2/listProjects?page&limit: the
// projects the caller reaches (a run token: its own), newest first.
func (s *Server) handleV2ListProjects(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	offset, limit, err := parseV2Page(r.URL.Query())
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	pr := Principal(r)
	var ps []*store.Project
	if pr.IsRunToken() {
		s.noteRunActivity(r)
		p, err := s.LoadProject(ctx, pr.ProjectID)
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		ps = []*store.Project{p}
	} else if ps, err = s.store.ProjectList(ctx, pr.OrgID); err != nil {
		s.WriteError(w, r, fmt.Errorf("list projects: %w", err))
		return
	}
	out := hubapi.V2ProjectListResponse{Projects: []hubapi.V2ProjectListItem{}, Total: len(ps)}
	for _, p := range ps[min(offset, len(ps)):min(offset+limit, len(ps))] {
		out.Projects = append(out.Projects, hubapi.V2ProjectListItem{ID: p.ID, Name: p.Name, Description: p.Description,
			Organization: p.OrgID, CreatedAt: hubapi.AngoTime(p.CreatedAt)})
	}
	WriteData(w, out)
}

// servedMetrics lists the metrics served, for the error naming them.
var servedMetrics = []string{hubapi.MetricLabelStageGroups, hubapi.MetricAssetSize}

// NewV2Metric computes metric for project p from its asset counts.
func NewV2Metric(p *store.Project, metric string, c *store.AssetCounts) (*hubapi.V2MetricResponse, error) {
	out := &hubapi.V2MetricResponse{Metric: metric, Total: c.Total}
	switch metric {
	case hubapi.MetricLabelStageGroups:
		stages := slices.Clone(store.NormalizeStages(p.Stages))
		slices.SortStableFunc(stages, func(a, b store.Stage) int {
			return cmp.Compare(a.Position.X, b.Position.X)
		})
		out.Stages = []hubapi.V2StageGroup{}
		for _, st := range stages {
			out.Stages = append(out.Stages, hubapi.V2StageGroup{StageID: st.ID, Name: st.Name, Type: st.Type, Count: c.ByStage[st.ID]})
		}
	case hubapi.MetricAssetSize:
		out.Batches = []hubapi.V2BatchSize{}
		for _, b := range p.Batches {
			out.Batches = append(out.Batches, hubapi.V2BatchSize{ID: b.ID, Name: b.Name, Count: c.ByBatch[b.Name]})
		}
	default:
		return nil, badRequest("metric %q is not served; this hub serves %s", metric, strings.Join(servedMetrics, ", "))
	}
	return out, nil
}

// handleV2Metric serves GET /v2/{projectId}/overview/{metric}.
func (s *Server) handleV2Metric(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.LoadProject(ctx, r.PathValue("projectId"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.noteRunActivity(r)
	metric := r.PathValue("metric")
	if !slices.Contains(servedMetrics, metric) {
		_, err := NewV2Metric(p, metric, &store.AssetCounts{})
		s.WriteError(w, r, err)
		return
	}
	c, err := s.store.AssetCounts(ctx, p.ID)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("count assets: %w", err))
		return
	}
	out, err := NewV2Metric(p, metric, c)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteData(w, out)
}

// v2OverviewMux routes GET /v2/{projectId}/overview/{metric}. Its
// pattern overlaps /v2/task/{id}/history and /v2/project/{id}/tasks
// without being more or less specific than them, which one ServeMux
// refuses; the /v2/ fallback asks this mux first.
func (s *Server) v2OverviewMux() *http.ServeMux {
	mux := http.NewServeMux()
	s.Handle(mux, "GET /v2/{projectId}/overview/{metric}", AccessRun, s.handleV2Metric)
	return mux
}
