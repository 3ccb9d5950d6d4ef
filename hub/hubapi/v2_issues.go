package hubapi

import (
	"encoding/json"
)

// V2Issue is an issue as the /v2 issue endpoints and the issue export
// show it: Ango's keys, those an issue lacks left out.
type V2Issue struct {
	ID      string `json:"_id"`
	Content string `json:"content"`
	Status  string `json:"status"`
	// ErrorCode and ErrorType are the error code keys and categories.
	ErrorCode  string          `json:"errorCode,omitempty"`
	ErrorType  string          `json:"errorType,omitempty"`
	ErrorCodes json.RawMessage `json:"errorCodes,omitempty"`
	// CreatedBy and UpdatedBy are e-mails.
	CreatedBy string   `json:"createdBy"`
	CreatedAt AngoTime `json:"createdAt"`
	UpdatedBy string   `json:"updatedBy,omitempty"`
	UpdatedAt AngoTime `json:"updatedAt"`
	Project   string   `json:"project"`
	// LabelTask is the id of the task the issue is on.
	LabelTask string `json:"labelTask"`
	// Asset is, in the listings, the id of the task's asset (null when
	// the project lacks it); in the issue export a V2IssueAsset.
	Asset any `json:"asset"`
	// Stage (its name) and StageID are the stage the issue was raised in.
	Stage           string          `json:"stage,omitempty"`
	StageID         string          `json:"stageId,omitempty"`
	ObjectID        string          `json:"objectId,omitempty"`
	Position        json.RawMessage `json:"position,omitempty"`
	Page            json.RawMessage `json:"page,omitempty"`
	PageEnd         json.RawMessage `json:"pageEnd,omitempty"`
	ContentMentions json.RawMessage `json:"contentMentions,omitempty"`
	// Comments lists the comments, oldest first: [] when none.
	Comments json.RawMessage `json:"comments"`
}

// V2IssueAsset is the asset of an issue in the issue export.
type V2IssueAsset struct {
	// ID is the asset's id; left out when the project lacks the asset.
	ID         string   `json:"_id,omitempty"`
	ExternalID string   `json:"externalId"`
	Batches    []string `json:"batches"`
}

// V2IssueListResponse is the data of GET /v2/issues.
type V2IssueListResponse struct {
	// Issue lists the issues (Ango's key is singular).
	Issue []json.RawMessage `json:"issue"`
	// Total is the number of issues the filters select.
	Total int64 `json:"total"`
}

// V2IssueResponse is the data of POST /v2/issues, POST /v2/issues/{id}
// and POST /v2/issues/{id}/comment.
type V2IssueResponse struct {
	Issue json.RawMessage `json:"issue"`
}

// V2MessageResponse is the data of an answer that only says what was
// done (DELETE /v2/issues/{id}).
type V2MessageResponse struct {
	Message string `json:"message"`
}

// V2IssueCreateRequest is the body of POST /v2/issues (the SDK's
// create_issue payload).
type V2IssueCreateRequest struct {
	Content   string `json:"content"`
	LabelTask string `json:"labelTask"`
	// Position is a string ("[120, 80]") or a list of numbers.
	Position json.RawMessage `json:"position,omitempty"`
	ObjectID string          `json:"objectId,omitempty"`
	// ErrorCodes lists error code keys or {key, name, category} objects.
	ErrorCodes      json.RawMessage `json:"errorCodes,omitempty"`
	ContentMentions json.RawMessage `json:"contentMentions,omitempty"`
	Page            json.RawMessage `json:"page,omitempty"`
	PageEnd         json.RawMessage `json:"pageEnd,omitempty"`
}

// V2IssueUpdateRequest is the body of POST /v2/issues/{id}: absent keys
// are left as they are, null clears a list or the position.
type V2IssueUpdateRequest struct {
	Status          *string         `json:"status,omitempty"`
	Content         *string         `json:"content,omitempty"`
	ObjectID        *string         `json:"objectId,omitempty"`
	Position        json.RawMessage `json:"position,omitempty"`
	ErrorCodes      json.RawMessage `json:"errorCodes,omitempty"`
	ContentMentions json.RawMessage `json:"contentMentions,omitempty"`
	// Project, when given, must be the issue's project.
	Project string `json:"project,omitempty"`
}

// V2IssueCommentRequest is the body of POST /v2/issues/{id}/comment.
type V2IssueCommentRequest struct {
	Content         string          `json:"content"`
	ContentMentions json.RawMessage `json:"contentMentions,omitempty"`
}

// IssueImportResponse is the body of a successful POST
// /api/projects/{id}/issues/import.
type IssueImportResponse struct {
	// Imported is the number of issues read and written; Inserted and
	// Updated split it (upsert mode replaces issues of the same id).
	Imported int `json:"imported"`
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
}
