package hubapi

import (
	"encoding/json"

	"github.com/exporthub/exporthub/hub/hubtype"
)

// The page bounds of the /v2 listings (assets, tasks, projects, issues).
const (
	// DefaultV2PageSize is the page size when limit is absent, as Ango's.
	DefaultV2PageSize = 10
	// MaxV2PageSize is the largest limit a /v2 listing accepts; a larger
	// one is a 400 naming it.
	MaxV2PageSize = 1000
)

// V2Asset is an asset as GET /v2/project/{id}/assets shows it.
type V2Asset struct {
	ID         string `json:"_id"`
	ExternalID string `json:"externalId"`
	Project    string `json:"project"`
	// Data is the asset's URL (the AAF's "asset").
	Data string `json:"data"`
	// Batches holds the ids of the asset's batches.
	Batches  []string        `json:"batches"`
	Metadata json.RawMessage `json:"metadata"`
	// ContextData is the AAF's contextData, when the asset has one.
	ContextData  json.RawMessage `json:"contextData,omitempty"`
	IsPreLabeled bool            `json:"isPreLabeled"`
	// CreatedAt is when the asset was first imported into this hub.
	CreatedAt  AngoTime           `json:"createdAt"`
	LabelTasks []V2AssetLabelTask `json:"labelTasks"`
}

// V2AssetLabelTask is the task of an asset in a V2Asset.
type V2AssetLabelTask struct {
	ID string `json:"_id"`
	// Stage is the id of the stage the task is in.
	Stage string `json:"stage"`
	// StageHistory holds the task's stageHistory entries of the imported
	// AAF, in order, without their annotations; empty when the AAF has
	// none.
	StageHistory []V2StageHistory `json:"stageHistory"`
}

// V2StageHistory is one stageHistory entry: its values exactly as the
// imported AAF has them; a key the AAF entry lacks is left out.
type V2StageHistory struct {
	StageID      json.RawMessage `json:"stageId,omitempty"`
	Stage        json.RawMessage `json:"stage,omitempty"`
	CompletedAt  json.RawMessage `json:"completedAt,omitempty"`
	CompletedBy  json.RawMessage `json:"completedBy,omitempty"`
	Duration     json.RawMessage `json:"duration,omitempty"`
	ReviewStatus json.RawMessage `json:"reviewStatus,omitempty"`
}

// V2AssetsResponse is the data of GET /v2/project/{id}/assets.
type V2AssetsResponse struct {
	Assets []V2Asset `json:"assets"`
	// Total is the number of assets the filters select (all pages).
	Total int64 `json:"total"`
}

// V2Answer is a task's annotations.
type V2Answer struct {
	Tools           json.RawMessage `json:"tools"`
	Classifications json.RawMessage `json:"classifications"`
	Relations       json.RawMessage `json:"relations"`
}

// V2Task is a task as /v2/task/{id} and /v2/project/{id}/tasks show it.
type V2Task struct {
	ID           string `json:"_id"`
	Project      string `json:"project"`
	Organization string `json:"organization"`
	// Asset is the id of the task's asset.
	Asset      string   `json:"asset"`
	ExternalID string   `json:"externalId"`
	Batches    []string `json:"batches"`
	// Stage is the id of the stage the task is in.
	Stage string `json:"stage"`
	// Status is "Completed" in the Complete stage, "TODO" elsewhere.
	Status string `json:"status"`
	// UpdatedAt, UpdatedBy and Duration (the task's totalDuration, ms) are
	// the imported AAF's; left out when it has none.
	UpdatedAt json.RawMessage `json:"updatedAt,omitempty"`
	UpdatedBy json.RawMessage `json:"updatedBy,omitempty"`
	// CompletedAt is, for a Completed task with a stage history, when it
	// left its last stage before Complete (the last entry's completedAt).
	CompletedAt json.RawMessage `json:"completedAt,omitempty"`
	Duration    json.RawMessage `json:"duration,omitempty"`
	// Answer holds the annotations when includeAnswer=true.
	Answer *V2Answer `json:"answer,omitempty"`
}

// V2TaskResponse is the data of GET /v2/task/{id}.
type V2TaskResponse struct {
	Task json.RawMessage `json:"task"`
}

// V2TasksResponse is the data of GET /v2/project/{id}/tasks.
type V2TasksResponse struct {
	Tasks []json.RawMessage `json:"tasks"`
	Total int64             `json:"total"`
}

// V2TaskHistory is one entry of GET /v2/task/{id}/history: a
// stageHistory entry of the imported AAF with its annotations.
type V2TaskHistory struct {
	// ID is derived from the task id and the entry's position, so it is
	// the same on every call.
	ID           string          `json:"_id"`
	LabelTaskID  string          `json:"labelTaskId"`
	Project      string          `json:"project"`
	Organization string          `json:"organization"`
	Asset        string          `json:"asset"`
	StageID      json.RawMessage `json:"stageId,omitempty"`
	Stage        json.RawMessage `json:"stage,omitempty"`
	CompletedAt  json.RawMessage `json:"completedAt,omitempty"`
	CompletedBy  json.RawMessage `json:"completedBy,omitempty"`
	Duration     json.RawMessage `json:"duration,omitempty"`
	ReviewStatus json.RawMessage `json:"reviewStatus,omitempty"`
	Answer       V2Answer        `json:"answer"`
}

// V2TaskHistoryResponse is the data of GET /v2/task/{id}/history.
type V2TaskHistoryResponse struct {
	TaskHistory []V2TaskHistory `json:"taskHistory"`
}

// Task statuses as Ango names them.
const (
	TaskStatusCompleted = "Completed"
	TaskStatusTodo      = "TODO"
)

// V2ProjectListItem is a project as GET /v2/listProjects shows it.
type V2ProjectListItem struct {
	ID           string   `json:"_id"`
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	Organization string   `json:"organization"`
	CreatedAt    AngoTime `json:"createdAt"`
}

// V2ProjectListResponse is the data of GET /v2/listProjects.
type V2ProjectListResponse struct {
	Projects []V2ProjectListItem `json:"projects"`
	Total    int                 `json:"total"`
}

// The metrics GET /v2/{projectId}/overview/{metric} serves.
const (
	MetricLabelStageGroups = "LabelStageGroups"
	MetricAssetSize        = "AssetSize"
)

// V2StageGroup is one stage of the LabelStageGroups metric.
type V2StageGroup struct {
	StageID string            `json:"stageId"`
	Name    string            `json:"name"`
	Type    hubtype.StageType `json:"type"`
	// Count is the number of tasks in the stage.
	Count int64 `json:"count"`
}

// V2BatchSize is one batch of the AssetSize metric.
type V2BatchSize struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
	// Count is the number of assets in the batch.
	Count int64 `json:"count"`
}

// V2MetricResponse is the data of GET /v2/{projectId}/overview/{metric}.
type V2MetricResponse struct {
	Metric string `json:"metric"`
	// Total is the number of assets (and tasks: one per asset) of the
	// project.
	Total int64 `json:"total"`
	// Stages (LabelStageGroups) counts the tasks per stage, in workflow
	// order (by position.x).
	Stages []V2StageGroup `json:"stages,omitempty"`
	// Batches (AssetSize) counts the assets per batch, in the project's
	// batch order.
	Batches []V2BatchSize `json:"batches,omitempty"`
}
