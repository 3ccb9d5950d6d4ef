package issues

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
)

// Limits of issue fields and listings.
const (
	// MaxContentLen bounds an issue's or a comment's content, in bytes.
	MaxContentLen = 64 << 10
	// MaxListLen bounds a listing asked without a limit; more matching
	// issues are a *hubtype.FieldError asking to page.
	MaxListLen = 10000
	// MaxPageSize bounds the limit of a paged listing.
	MaxPageSize = 1000
)

// Store is what the service needs of the hub's store (hub/store.Store
// has it).
type Store interface {
	ProjectGet(ctx context.Context, orgID, id string) (*hubtype.Project, error)
	UserGet(ctx context.Context, orgID, id string) (*hubtype.User, error)
	AssetListPage(ctx context.Context, p *hubtype.AssetListParams) ([]*hubtype.Asset, error)
	AssetListByTask(ctx context.Context, orgID, taskID string) ([]*hubtype.Asset, error)
	IssueInsert(ctx context.Context, i *hubtype.Issue) error
	IssueImport(ctx context.Context, p *hubtype.IssueImportParams) (*hubtype.IssueImportResult, error)
	IssueGet(ctx context.Context, orgID, id string) (*hubtype.Issue, error)
	IssueList(ctx context.Context, p *hubtype.IssueListParams) ([]*hubtype.Issue, error)
	IssueCount(ctx context.Context, p *hubtype.IssueListParams) (int64, error)
	IssueUpdate(ctx context.Context, i *hubtype.Issue) error
	IssueAddComment(ctx context.Context, orgID, id string, comment json.RawMessage, by string, at time.Time) (*hubtype.Issue, error)
	IssueDelete(ctx context.Context, orgID, id string) error
}

// Config configures a [Service]. Fields are read once by [New].
type Config struct {
	// Store holds the issues. Required.
	Store Store
	// NowFunc is the clock. Defaults to time.Now.
	NowFunc func() time.Time
}

// Service applies the issue rules. It is safe for concurrent use.
type Service struct {
	st  Store
	now func() time.Time
}

// New returns a Service.
func New(c *Config) (*Service, error) {
	if c == nil || c.Store == nil {
		return nil, errors.New("issues: Store is required")
	}
	now := c.NowFunc
	if now == nil {
		now = time.Now
	}
	return &Service{st: c.Store, now: now}, nil
}

// Project returns the project id names for the caller: a run token's own
// when id is empty; ErrNotFound when the caller does not reach it.
func (s *Service) Project(ctx context.Context, pr *auth.Principal, id string) (*hubtype.Project, error) {
	if id == "" && pr.IsRunToken() {
		id = pr.ProjectID
	}
	if id == "" {
		return nil, hubtype.Fieldf("project", "project is required")
	}
	if !pr.CanReachProject(id) {
		return nil, hubtype.ErrNotFound
	}
	return s.st.ProjectGet(ctx, pr.OrgID, id)
}

// ListParams is the input of [Service.List].
type ListParams struct {
	// ProjectID is the project; a run token's own when empty.
	ProjectID string
	// AssetID, TaskID, StageID (an id or a name), CreatedBy (an e-mail)
	// and Status keep the issues that match each one given.
	AssetID   string
	TaskID    string
	StageID   string
	CreatedBy string
	Status    string
	// Offset and Limit page the listing; Limit 0 lists every match (at
	// most MaxListLen).
	Offset, Limit int
}

// List returns the issues of a project matching p, oldest first, and how
// many match in all.
func (s *Service) List(ctx context.Context, pr *auth.Principal, p *ListParams) ([]*hubtype.Issue, int64, error) {
	proj, err := s.Project(ctx, pr, p.ProjectID)
	if err != nil {
		return nil, 0, err
	}
	lp := &hubtype.IssueListParams{OrgID: proj.OrgID, ProjectID: proj.ID, AssetID: p.AssetID, TaskID: p.TaskID,
		CreatedBy: p.CreatedBy, Offset: p.Offset, Limit: p.Limit}
	if p.StageID != "" {
		ids, err := hubtype.ResolveStages(proj, []string{p.StageID})
		if err != nil {
			return nil, 0, hubtype.Fieldf("stage", "stage: %v", err)
		}
		lp.StageID = ids[0]
	}
	if p.Status != "" {
		st, err := parseStatus("status", p.Status)
		if err != nil {
			return nil, 0, err
		}
		lp.Status = st
	}
	switch {
	case p.Offset < 0:
		return nil, 0, hubtype.Fieldf("page", "the page must not be negative")
	case p.Limit < 0 || p.Limit > MaxPageSize:
		return nil, 0, hubtype.Fieldf("limit", "limit %d is not from 1 to %d", p.Limit, MaxPageSize)
	}
	total, err := s.st.IssueCount(ctx, lp)
	if err != nil {
		return nil, 0, fmt.Errorf("count issues: %w", err)
	}
	if p.Limit == 0 {
		if total > MaxListLen {
			return nil, 0, hubtype.Fieldf("limit", "%d issues match, more than %d: page through them with page and limit", total, MaxListLen)
		}
		lp.Limit = MaxListLen
	}
	list, err := s.st.IssueList(ctx, lp)
	if err != nil {
		return nil, 0, fmt.Errorf("list issues: %w", err)
	}
	return list, total, nil
}

// All iterates every issue of project projectID, oldest first, a page at
// a time.
func (s *Service) All(ctx context.Context, pr *auth.Principal, projectID string) iter.Seq2[*hubtype.Issue, error] {
	return func(yield func(*hubtype.Issue, error) bool) {
		proj, err := s.Project(ctx, pr, projectID)
		if err != nil {
			yield(nil, err)
			return
		}
		lp := &hubtype.IssueListParams{OrgID: proj.OrgID, ProjectID: proj.ID, Limit: MaxPageSize}
		for {
			page, err := s.st.IssueList(ctx, lp)
			if err != nil {
				yield(nil, fmt.Errorf("list issues: %w", err))
				return
			}
			for _, i := range page {
				if !yield(i, nil) {
					return
				}
				lp.AfterSeq = i.Seq
			}
			if len(page) < lp.Limit {
				return
			}
		}
	}
}

// Get returns an issue the caller reaches; ErrNotFound otherwise (and
// when projectID is given and is not the issue's project).
func (s *Service) Get(ctx context.Context, pr *auth.Principal, id, projectID string) (*hubtype.Issue, error) {
	if id == "" {
		return nil, hubtype.ErrNotFound
	}
	i, err := s.st.IssueGet(ctx, pr.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !pr.CanReachProject(i.ProjectID) || projectID != "" && projectID != i.ProjectID {
		return nil, hubtype.ErrNotFound
	}
	return i, nil
}

// CreateParams is the input of [Service.Create]: the SDK's create_issue
// payload.
type CreateParams struct {
	// TaskID is the labelTask the issue is on. Required.
	TaskID string
	// Content says what is wrong. Required.
	Content string
	// Position is a position on the asset: a JSON string ("[120, 80]", as
	// the SDK sends it) or a list of numbers; nil for none.
	Position json.RawMessage
	// ObjectID names the annotation the issue is on.
	ObjectID string
	// ErrorCodes is a JSON list of error code keys or {key, name,
	// category} objects; nil for none.
	ErrorCodes json.RawMessage
	// ContentMentions is a JSON list of {userEmail, userName}; nil for
	// none.
	ContentMentions json.RawMessage
	// Page and PageEnd are page numbers (documents), from 0; nil for none.
	Page, PageEnd json.RawMessage
}

// Create raises an Open issue on a task the caller reaches, in the
// stage the task is in, by the caller.
func (s *Service) Create(ctx context.Context, pr *auth.Principal, p *CreateParams) (*hubtype.Issue, error) {
	if strings.TrimSpace(p.TaskID) == "" {
		return nil, hubtype.Fieldf("labelTask", "labelTask is required: the id of the task the issue is on")
	}
	if err := checkContent("content", p.Content); err != nil {
		return nil, err
	}
	i := &hubtype.Issue{ID: hubtype.NewID(), OrgID: pr.OrgID, TaskID: p.TaskID, Content: p.Content, Status: hubtype.IssueOpen,
		ObjectID: p.ObjectID}
	if err := setFields(i, p.Position, p.ErrorCodes, p.ContentMentions, p.Page, p.PageEnd); err != nil {
		return nil, err
	}
	proj, a, err := s.findTask(ctx, pr, p.TaskID)
	if err != nil {
		return nil, err
	}
	by, err := s.email(ctx, pr)
	if err != nil {
		return nil, err
	}
	now := s.now()
	i.ProjectID, i.AssetID, i.ExternalID, i.Batches = proj.ID, a.ID, a.ExternalID, a.Batches
	i.StageID, i.Stage = a.StageID, hubtype.StageName(proj, a.StageID)
	i.CreatedBy, i.UpdatedBy, i.CreatedAt, i.UpdatedAt = by, by, now, now
	if err := s.st.IssueInsert(ctx, i); err != nil {
		return nil, fmt.Errorf("insert issue: %w", err)
	}
	return i, nil
}

// findTask returns the task (its asset) with id taskID the caller
// reaches, and its project.
func (s *Service) findTask(ctx context.Context, pr *auth.Principal, taskID string) (*hubtype.Project, *hubtype.Asset, error) {
	var found []*hubtype.Asset
	var err error
	if pr.IsRunToken() {
		found, err = s.st.AssetListPage(ctx, &hubtype.AssetListParams{ProjectID: pr.ProjectID, TaskIDs: []string{taskID}, Limit: 1})
	} else {
		found, err = s.st.AssetListByTask(ctx, pr.OrgID, taskID)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find task %s: %w", taskID, err)
	}
	switch len(found) {
	case 0:
		return nil, nil, &hubtype.RuleError{Err: hubtype.ErrNotFound, Message: fmt.Sprintf("labelTask %s: no such task", taskID)}
	case 1:
	default:
		projects := make([]string, len(found))
		for k, a := range found {
			projects[k] = a.ProjectID
		}
		return nil, nil, hubtype.Conflictf("labelTask %s is in several projects of your organization (%s): raise the issue with a run token of one of them",
			taskID, strings.Join(projects, ", "))
	}
	proj, err := s.st.ProjectGet(ctx, pr.OrgID, found[0].ProjectID)
	if err != nil {
		return nil, nil, fmt.Errorf("get project of task %s: %w", taskID, err)
	}
	return proj, found[0], nil
}

// email returns the caller's e-mail (a run token's: its user's).
func (s *Service) email(ctx context.Context, pr *auth.Principal) (string, error) {
	u, err := s.st.UserGet(ctx, pr.OrgID, pr.UserID)
	if err != nil {
		return "", fmt.Errorf("get user %s: %w", pr.UserID, err)
	}
	return u.Email, nil
}

// UpdateParams is the input of [Service.Update]; nil fields are left as
// they are.
type UpdateParams struct {
	ID string
	// ProjectID, when given, must be the issue's project.
	ProjectID       string
	Status          *string
	Content         *string
	ObjectID        *string
	Position        json.RawMessage
	ErrorCodes      json.RawMessage
	ContentMentions json.RawMessage
}

// Update changes an issue: its status (anyone who reaches it), its other
// fields (its author or an organization admin).
func (s *Service) Update(ctx context.Context, pr *auth.Principal, p *UpdateParams) (*hubtype.Issue, error) {
	i, err := s.Get(ctx, pr, p.ID, p.ProjectID)
	if err != nil {
		return nil, err
	}
	if p.Status == nil && p.Content == nil && p.ObjectID == nil && p.Position == nil && p.ErrorCodes == nil && p.ContentMentions == nil {
		return nil, hubtype.Fieldf("status", "nothing to change: give status, content, errorCodes, position, objectId or contentMentions")
	}
	by, err := s.email(ctx, pr)
	if err != nil {
		return nil, err
	}
	if p.Content != nil || p.ObjectID != nil || p.Position != nil || p.ErrorCodes != nil || p.ContentMentions != nil {
		if !strings.EqualFold(by, i.CreatedBy) && !pr.IsAdmin() {
			return nil, hubtype.Forbiddenf("only the issue's author (%s) or an organization admin may change its content; anyone may change its status",
				i.CreatedBy)
		}
	}
	if p.Status != nil {
		if i.Status, err = parseStatus("status", *p.Status); err != nil {
			return nil, err
		}
	}
	if p.Content != nil {
		if err := checkContent("content", *p.Content); err != nil {
			return nil, err
		}
		i.Content = *p.Content
	}
	if p.ObjectID != nil {
		i.ObjectID = *p.ObjectID
	}
	if p.Position != nil {
		if err := setPosition(i, p.Position); err != nil {
			return nil, err
		}
	}
	if p.ErrorCodes != nil {
		if err := setErrorCodes(i, p.ErrorCodes); err != nil {
			return nil, err
		}
	}
	if p.ContentMentions != nil {
		if err := setMentions(i, p.ContentMentions); err != nil {
			return nil, err
		}
	}
	i.UpdatedBy, i.UpdatedAt = by, s.now()
	return i, s.update(ctx, i)
}

func (s *Service) update(ctx context.Context, i *hubtype.Issue) error {
	if err := s.st.IssueUpdate(ctx, i); err != nil {
		return fmt.Errorf("update issue %s: %w", i.ID, err)
	}
	return nil
}

// CommentParams is the input of [Service.Comment].
type CommentParams struct {
	ID string
	// Content is the comment. Required.
	Content string
	// ContentMentions is a JSON list of {userEmail, userName}; nil for
	// none.
	ContentMentions json.RawMessage
}

// Comment adds the caller's comment to an issue the caller reaches and
// returns the issue.
func (s *Service) Comment(ctx context.Context, pr *auth.Principal, p *CommentParams) (*hubtype.Issue, error) {
	i, err := s.Get(ctx, pr, p.ID, "")
	if err != nil {
		return nil, err
	}
	if err := checkContent("content", p.Content); err != nil {
		return nil, err
	}
	if err := checkObjectList("contentMentions", p.ContentMentions); err != nil {
		return nil, err
	}
	by, err := s.email(ctx, pr)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	// The comment as Ango writes one, its time with milliseconds.
	c := struct {
		ID              string          `json:"_id"`
		Content         string          `json:"content"`
		CreatedBy       string          `json:"createdBy"`
		CreatedAt       string          `json:"createdAt"`
		ContentMentions json.RawMessage `json:"contentMentions,omitempty"`
	}{hubtype.NewID(), p.Content, by, now.Format("2006-01-02T15:04:05.000Z"), compact(p.ContentMentions)}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode comment: %w", err)
	}
	out, err := s.st.IssueAddComment(ctx, i.OrgID, i.ID, b, by, now)
	if err != nil {
		return nil, fmt.Errorf("comment on issue %s: %w", i.ID, err)
	}
	return out, nil
}

// DeleteParams is the input of [Service.Delete].
type DeleteParams struct {
	ID string
	// ProjectID is the issue's project. Required (the SDK sends it).
	ProjectID string
}

// Delete deletes an issue: its author or an organization admin may; a
// run token may not.
func (s *Service) Delete(ctx context.Context, pr *auth.Principal, p *DeleteParams) error {
	if p.ProjectID == "" {
		return hubtype.Fieldf("project", "project is required: the issue's project")
	}
	i, err := s.Get(ctx, pr, p.ID, p.ProjectID)
	if err != nil {
		return err
	}
	if pr.IsRunToken() {
		return hubtype.Forbiddenf("a run token may not delete issues")
	}
	by, err := s.email(ctx, pr)
	if err != nil {
		return err
	}
	if !strings.EqualFold(by, i.CreatedBy) && !pr.IsAdmin() {
		return hubtype.Forbiddenf("only the issue's author (%s) or an organization admin may delete it", i.CreatedBy)
	}
	if err := s.st.IssueDelete(ctx, i.OrgID, i.ID); err != nil {
		return fmt.Errorf("delete issue %s: %w", i.ID, err)
	}
	return nil
}

// parseStatus reads an issue status: Open, Resolved or Closed (any
// case).
func parseStatus(field, v string) (hubtype.IssueStatus, error) {
	for _, st := range hubtype.IssueStatuses {
		if strings.EqualFold(v, string(st)) {
			return st, nil
		}
	}
	names := make([]string, len(hubtype.IssueStatuses))
	for k, st := range hubtype.IssueStatuses {
		names[k] = string(st)
	}
	return "", hubtype.Fieldf(field, "%s %q is not one of %s", field, v, strings.Join(names, ", "))
}

// checkContent requires a content that is not blank, UTF-8 and at most
// MaxContentLen bytes.
func checkContent(field, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return hubtype.Fieldf(field, "%s is required", field)
	case len(v) > MaxContentLen:
		return hubtype.Fieldf(field, "%s is %d bytes, more than %d", field, len(v), MaxContentLen)
	case !utf8.ValidString(v):
		return hubtype.Fieldf(field, "%s is not valid UTF-8", field)
	}
	return nil
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

// compact returns raw without insignificant spaces; nil when absent or
// null.
func compact(raw json.RawMessage) json.RawMessage {
	if isNull(raw) {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// checkObjectList requires raw to be absent, null or a JSON list of
// objects.
func checkObjectList(field string, raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return hubtype.Fieldf(field, "%s is not a list of objects: %s", field, short(raw))
	}
	return nil
}

// short returns raw cut to 60 bytes, for messages.
func short(raw json.RawMessage) string {
	if len(raw) > 60 {
		return string(raw[:60]) + "…"
	}
	return string(raw)
}

// errorCode is one entry of errorCodes as objects.
type errorCode struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Category string `json:"category"`
}

// setFields validates and sets an issue's raw fields (see setPosition,
// setErrorCodes, setMentions, setPages).
func setFields(i *hubtype.Issue, position, codes, mentions, page, pageEnd json.RawMessage) error {
	if err := setPosition(i, position); err != nil {
		return err
	}
	if err := setErrorCodes(i, codes); err != nil {
		return err
	}
	if err := setMentions(i, mentions); err != nil {
		return err
	}
	return setPages(i, page, pageEnd)
}

// setPosition sets a position: a JSON string or a list of numbers; null
// clears it.
func setPosition(i *hubtype.Issue, position json.RawMessage) error {
	i.Position = nil
	if isNull(position) {
		return nil
	}
	var s string
	var nums []float64
	if json.Unmarshal(position, &s) != nil && json.Unmarshal(position, &nums) != nil {
		return hubtype.Fieldf("position", "position is not a string or a list of numbers: %s", short(position))
	}
	i.Position = compact(position)
	return nil
}

// setErrorCodes sets the error codes, a JSON list of keys or {key, name,
// category} objects, and from them ErrorCode and ErrorType (the keys, the
// categories, joined by ", "); null clears them.
func setErrorCodes(i *hubtype.Issue, codes json.RawMessage) error {
	i.ErrorCodes, i.ErrorCode, i.ErrorType = nil, "", ""
	if isNull(codes) {
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(codes, &raw); err != nil {
		return hubtype.Fieldf("errorCodes", "errorCodes is not a list: %s", short(codes))
	}
	var keys, categories []string
	for k, c := range raw {
		var key string
		var obj errorCode
		switch {
		case json.Unmarshal(c, &key) == nil && key != "":
		case json.Unmarshal(c, &obj) == nil && obj.Key != "":
			key = obj.Key
			if obj.Category != "" && !slices.Contains(categories, obj.Category) {
				categories = append(categories, obj.Category)
			}
		default:
			return hubtype.Fieldf(fmt.Sprintf("errorCodes[%d]", k), "errorCodes[%d] is not a key or a {key, name, category} object: %s", k, short(c))
		}
		keys = append(keys, key)
	}
	i.ErrorCodes, i.ErrorCode, i.ErrorType = compact(codes), strings.Join(keys, ", "), strings.Join(categories, ", ")
	return nil
}

// setMentions sets the mentioned users, a JSON list of objects; null
// clears them.
func setMentions(i *hubtype.Issue, mentions json.RawMessage) error {
	if err := checkObjectList("contentMentions", mentions); err != nil {
		return err
	}
	i.ContentMentions = compact(mentions)
	return nil
}

// setPages sets the page numbers, from 0.
func setPages(i *hubtype.Issue, page, pageEnd json.RawMessage) error {
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *json.RawMessage
	}{{"page", page, &i.Page}, {"pageEnd", pageEnd, &i.PageEnd}} {
		*f.dst = nil
		if isNull(f.raw) {
			continue
		}
		var n int
		if err := json.Unmarshal(f.raw, &n); err != nil || n < 0 {
			return hubtype.Fieldf(f.name, "%s is not a page number from 0: %s", f.name, short(f.raw))
		}
		*f.dst = compact(f.raw)
	}
	return nil
}
