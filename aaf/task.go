package aaf

import "encoding/json"

// Task is the labeling task of an asset: a v3 "task" object or one entry of
// a legacy "tasks" array.
type Task struct {
	// TaskID is the task's id, key "taskId".
	TaskID string
	// Stage is the name of the stage the task was exported from, key "stage".
	Stage string
	// StageID is the id of that stage, key "stageId" ("Start", "Label",
	// "Complete" or a UUID).
	StageID string
	// UpdatedAt is the last update time as written (ISO 8601), key "updatedAt".
	UpdatedAt string
	// UpdatedBy is the e-mail of the last user who updated it, key "updatedBy".
	UpdatedBy string
	// Tools holds the annotation objects: key "tools" (v3) or "objects"
	// (legacy).
	Tools []*Tool
	// Classifications holds the task-level classification answers.
	Classifications []*Classification
	// Relations holds the relations between objects.
	Relations []*Relation
	// BrushDataURL is the URL of the brush mask PNG, key "brushDataUrl".
	BrushDataURL string
	// MedicalBrushDataURL is the URL of the voxel brush file, key
	// "medicalBrushDataUrl".
	MedicalBrushDataURL string
	// StageHistory holds one snapshot per stage the task left, in order.
	StageHistory []*StageSnapshot
	// IsSkipped reports the "isSkipped" flag (false when absent).
	IsSkipped bool
	// Review is the legacy "review" object; nil when absent.
	Review *Review
	// Legacy is true when the task was read from a legacy asset (its
	// objects were under "objects").
	Legacy bool
	// Extra holds every other key (durations, consensus scores, legacy
	// completedBy/completedAt/status/benchmark/issues, ...).
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
}

// ReviewStatus returns the outcome of the most recent review: the
// "reviewStatus" of the latest stageHistory entry that has one (v3), or the
// legacy review status. It returns "" when the task was never reviewed.
func (t *Task) ReviewStatus() string {
	for i := len(t.StageHistory) - 1; i >= 0; i-- {
		if s := t.StageHistory[i].ReviewStatus; s != "" {
			return s
		}
	}
	if t.Review != nil {
		return t.Review.Status
	}
	return ""
}

// StageSnapshot is one entry of a task's "stageHistory": the annotations as
// they were when the task left a stage.
type StageSnapshot struct {
	// Stage is the stage name, key "stage".
	Stage string
	// StageID is the stage id, key "stageId".
	StageID string
	// CompletedAt is when the task left the stage (ISO 8601), key "completedAt".
	CompletedAt string
	// CompletedBy is the e-mail of the user who completed it, key "completedBy".
	CompletedBy string
	// ReviewStatus is set on Review-stage entries ("Accepted", "Rejected").
	ReviewStatus string
	// Tools holds the annotation objects of the snapshot, key "tools".
	Tools []*Tool
	// Classifications holds the classification answers of the snapshot.
	Classifications []*Classification
	// Relations holds the relations of the snapshot.
	Relations []*Relation
	// BrushDataURL is the brush mask of the snapshot, key "brushDataUrl".
	BrushDataURL string
	// Extra holds every other key (duration, ...).
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
}

// Review is the legacy task "review" object.
type Review struct {
	// Status is the review status ("Fixed", "Todo", "Accepted", ...).
	Status string
	// Extra holds every other key (completedBy, completedAt, duration(ms), ...).
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
}
