package hubclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/exporthub/exporthub/hub/hubapi"
)

// Health checks GET /healthz.
func (c *Client) Health(ctx context.Context) error {
	return c.DoJSON(ctx, http.MethodGet, "/healthz", nil, nil)
}

// Me returns the caller's user and organization.
func (c *Client) Me(ctx context.Context) (*hubapi.MeResponse, error) {
	return call[hubapi.MeResponse](ctx, c, http.MethodGet, "/api/me", nil)
}

// CreateProject creates a project.
func (c *Client) CreateProject(ctx context.Context, req *hubapi.ProjectCreateRequest) (*hubapi.ProjectResponse, error) {
	return call[hubapi.ProjectResponse](ctx, c, http.MethodPost, "/api/projects", req)
}

// ListProjects lists the organization's projects, newest first.
// UpdateProject changes the fields of project id that req sets.
func (c *Client) UpdateProject(ctx context.Context, id string, req *hubapi.ProjectUpdateRequest) (*hubapi.ProjectResponse, error) {
	if id == "" {
		return nil, errNoProject
	}
	return call[hubapi.ProjectResponse](ctx, c, http.MethodPatch, "/api/projects/"+pathEscape(id), req)
}

// ListProjects lists the organization's projects, newest first.
func (c *Client) ListProjects(ctx context.Context) ([]*hubapi.ProjectResponse, error) {
	out, err := call[hubapi.ProjectListResponse](ctx, c, http.MethodGet, "/api/projects", nil)
	if err != nil {
		return nil, err
	}
	return out.Projects, nil
}

// GetProject returns a project with its asset counts.
func (c *Client) GetProject(ctx context.Context, id string) (*hubapi.ProjectResponse, error) {
	if id == "" {
		return nil, errNoProject
	}
	return call[hubapi.ProjectResponse](ctx, c, http.MethodGet, "/api/projects/"+pathEscape(id), nil)
}

// ImportParams is the input of Import.
type ImportParams struct {
	// ProjectID is the project to import into.
	ProjectID string
	// Body is the AAF input (JSON array or NDJSON); it is streamed.
	Body io.Reader
	// Mode is "append" (default) or "upsert".
	Mode string
}

// Import streams an AAF file into a project. The hub validates all of it
// and writes all or nothing; a rejected file gives an *APIError with Code
// "invalid_aaf" whose Errors list the first problems and their locations
// (Truncated when there are more). There is no default timeout: bound it
// with ctx.
func (c *Client) Import(ctx context.Context, p *ImportParams) (*hubapi.ImportResponse, error) {
	if p.ProjectID == "" {
		return nil, errNoProject
	}
	path := "/api/projects/" + pathEscape(p.ProjectID) + "/import"
	if p.Mode != "" {
		path += "?mode=" + url.QueryEscape(p.Mode)
	}
	req, err := c.NewRequest(ctx, http.MethodPost, path, p.Body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out hubapi.ImportResponse
	if err := decodeBody(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ImportIssues streams an Ango issue export (a JSON array of issues or
// NDJSON, or a zip whose first file is one) into a project; Mode is
// "append" (default) or "upsert". The hub writes all of it or nothing: a
// rejected export gives an *APIError naming the issue and the key. There
// is no default timeout: bound it with ctx.
func (c *Client) ImportIssues(ctx context.Context, p *ImportParams) (*hubapi.IssueImportResponse, error) {
	if p.ProjectID == "" {
		return nil, errNoProject
	}
	path := "/api/projects/" + pathEscape(p.ProjectID) + "/issues/import"
	if p.Mode != "" {
		path += "?mode=" + url.QueryEscape(p.Mode)
	}
	req, err := c.NewRequest(ctx, http.MethodPost, path, p.Body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out hubapi.IssueImportResponse
	if err := decodeBody(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExportParams is the input of Export.
type ExportParams struct {
	ProjectID string
	// Format is "ndjson" (default) or "json".
	Format string
	// Stage keeps one stage (id or name); "" keeps all.
	Stage string
	// Batches keeps assets in any of these batches (ids or names).
	Batches []string
}

// ExportStream is a streaming export.
type ExportStream struct {
	io.ReadCloser
	// Total is the number of assets the export holds, or -1 when unknown.
	Total int64
}

// Export starts a streaming export of a project; the caller reads and
// closes it. There is no default timeout: bound it with ctx.
func (c *Client) Export(ctx context.Context, p *ExportParams) (*ExportStream, error) {
	if p.ProjectID == "" {
		return nil, errNoProject
	}
	q := url.Values{}
	if p.Format != "" {
		q.Set("format", p.Format)
	}
	if p.Stage != "" {
		q.Set("stage", p.Stage)
	}
	if len(p.Batches) > 0 {
		q.Set("batches", strings.Join(p.Batches, ","))
	}
	path := "/api/projects/" + pathEscape(p.ProjectID) + "/export"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	req, err := c.NewRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	total := int64(-1)
	if v, err := strconv.ParseInt(resp.Header.Get(hubapi.HeaderTotalCount), 10, 64); err == nil {
		total = v
	}
	return &ExportStream{ReadCloser: resp.Body, Total: total}, nil
}

// CreateKey creates an API key; the answer holds the key, shown once.
func (c *Client) CreateKey(ctx context.Context, req *hubapi.KeyCreateRequest) (*hubapi.KeyCreateResponse, error) {
	return call[hubapi.KeyCreateResponse](ctx, c, http.MethodPost, "/api/keys", req)
}

// ListKeys lists API keys (a member's own, or all of the organization for
// an admin).
func (c *Client) ListKeys(ctx context.Context) ([]*hubapi.KeyResponse, error) {
	out, err := call[hubapi.KeyListResponse](ctx, c, http.MethodGet, "/api/keys", nil)
	if err != nil {
		return nil, err
	}
	return out.Keys, nil
}

// RevokeKey revokes an API key.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	return c.DoJSON(ctx, http.MethodDelete, "/api/keys/"+pathEscape(id), nil, nil)
}

// CreateUser creates a user (admins).
func (c *Client) CreateUser(ctx context.Context, req *hubapi.UserCreateRequest) (*hubapi.UserCreateResponse, error) {
	return call[hubapi.UserCreateResponse](ctx, c, http.MethodPost, "/api/users", req)
}

// ListUsers lists the organization's users (admins).
func (c *Client) ListUsers(ctx context.Context) ([]*hubapi.UserResponse, error) {
	out, err := call[hubapi.UserListResponse](ctx, c, http.MethodGet, "/api/users", nil)
	if err != nil {
		return nil, err
	}
	return out.Users, nil
}

// CreateStorage registers an organization storage (admins).
func (c *Client) CreateStorage(ctx context.Context, req *hubapi.StorageCreateRequest) (*hubapi.StorageResponse, error) {
	return call[hubapi.StorageResponse](ctx, c, http.MethodPost, "/api/storages", req)
}

// ListStorages lists the organization's storages.
func (c *Client) ListStorages(ctx context.Context) ([]*hubapi.StorageResponse, error) {
	out, err := call[hubapi.StorageListResponse](ctx, c, http.MethodGet, "/api/storages", nil)
	if err != nil {
		return nil, err
	}
	return out.Storages, nil
}

// GetStorage returns one organization storage (never its secret).
func (c *Client) GetStorage(ctx context.Context, id string) (*hubapi.StorageResponse, error) {
	return call[hubapi.StorageResponse](ctx, c, http.MethodGet, "/api/storages/"+pathEscape(id), nil)
}

// DeleteStorage removes an organization storage (admins); objects in its
// bucket are left alone.
func (c *Client) DeleteStorage(ctx context.Context, id string) error {
	return c.DoJSON(ctx, http.MethodDelete, "/api/storages/"+pathEscape(id), nil, nil)
}

// decodeBody decodes a JSON response body into out.
func decodeBody(resp *http.Response, out any) error {
	if err := jsonDecode(resp.Body, out); err != nil {
		return fmt.Errorf("decode %s answer: %w", resp.Request.URL.Path, err)
	}
	return nil
}
