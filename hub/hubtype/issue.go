package hubtype

import (
	"encoding/json"
	"iter"
	"time"
)

// IssueStatus is the state of an issue.
type IssueStatus string

// The issue states, as Ango names them.
const (
	IssueOpen     IssueStatus = "Open"
	IssueResolved IssueStatus = "Resolved"
	IssueClosed   IssueStatus = "Closed"
)

// IssueStatuses lists the issue states in order.
var IssueStatuses = []IssueStatus{IssueOpen, IssueResolved, IssueClosed}

// Issue is a QA comment on a task of a project (Ango's issue), optionally
// on one object of the task or a position on the asset.
type Issue struct {
	// ID is the issue's _id: unique in the organization.
	ID        string
	OrgID     string
	ProjectID string
	// Seq orders a project's issues (insertion order); set by the store.
	Seq int64
	// TaskID is the labelTask the issue is on.
	TaskID string
	// AssetID is the id of the task's asset when that asset is in the
	// project; "" for an imported issue of an asset that is not.
	AssetID string
	// ExternalID and Batches (names) describe the task's asset as it was
	// when the issue was raised or exported.
	ExternalID string
	Batches    []string
	// StageID and Stage (its name) are the stage the issue was raised in.
	StageID string
	Stage   string
	Content string
	Status  IssueStatus
	// ErrorCode and ErrorType are the issue's error code and its category.
	ErrorCode string
	ErrorType string
	// ErrorCodes is the JSON list of the issue's error codes; nil when none.
	ErrorCodes json.RawMessage
	// ObjectID names the annotation the issue is on; "" for the task.
	ObjectID string
	// Position is the JSON position on the asset (Ango sends a string such
	// as "[120.5, 80]"); nil when none.
	Position json.RawMessage
	// Page and PageEnd are the JSON page numbers (documents); nil when none.
	Page, PageEnd json.RawMessage
	// ContentMentions is the JSON list of users mentioned; nil when none.
	ContentMentions json.RawMessage
	// Comments is the JSON list of the issue's comments, oldest first;
	// nil when none.
	Comments json.RawMessage
	// CreatedBy and UpdatedBy are e-mails.
	CreatedBy string
	UpdatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Extra holds the keys of an imported issue this model does not know,
	// as a JSON object written back as read; nil when none.
	Extra json.RawMessage
}

// IssueListParams filters and pages the issues of a project. Empty
// filters keep every issue.
type IssueListParams struct {
	OrgID     string
	ProjectID string
	TaskID    string
	AssetID   string
	StageID   string
	CreatedBy string
	Status    IssueStatus
	// AfterSeq starts the page after that Seq.
	AfterSeq int64
	// Offset skips that many matching issues.
	Offset int
	// Limit is the page size. Defaults to 1000.
	Limit int
}

// IssueImportParams is the input of Store.IssueImport.
type IssueImportParams struct {
	OrgID     string
	ProjectID string
	Mode      ImportMode
	// Rows yields the issues to write (their OrgID and ProjectID are
	// set by the store); an error stops and rolls back the import.
	Rows iter.Seq2[*Issue, error]
}

// IssueImportResult is the output of Store.IssueImport.
type IssueImportResult struct {
	Inserted int
	Updated  int
}
