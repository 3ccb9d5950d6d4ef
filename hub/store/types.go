package store

import "github.com/exporthub/exporthub/hub/hubtype"

// The hub's entity types are declared in the leaf package hub/hubtype,
// which the services and the web UI import without linking the store;
// these aliases keep the store's callers and backends unchanged.
type (
	APIKey             = hubtype.APIKey
	Asset              = hubtype.Asset
	AssetCounts        = hubtype.AssetCounts
	AssetImportParams  = hubtype.AssetImportParams
	AssetImportResult  = hubtype.AssetImportResult
	AssetListParams    = hubtype.AssetListParams
	AssetOrder         = hubtype.AssetOrder
	AssetOrderField    = hubtype.AssetOrderField
	Batch              = hubtype.Batch
	Connector          = hubtype.Connector
	Export             = hubtype.Export
	ImportMode         = hubtype.ImportMode
	Instance           = hubtype.Instance
	Issue              = hubtype.Issue
	IssueImportParams  = hubtype.IssueImportParams
	IssueImportResult  = hubtype.IssueImportResult
	IssueListParams    = hubtype.IssueListParams
	IssueStatus        = hubtype.IssueStatus
	Node               = hubtype.Node
	NodeLeaseParams    = hubtype.NodeLeaseParams
	Notification       = hubtype.Notification
	Org                = hubtype.Org
	Plugin             = hubtype.Plugin
	Project            = hubtype.Project
	Role               = hubtype.Role
	Run                = hubtype.Run
	RunDispatchParams  = hubtype.RunDispatchParams
	RunDispatchResult  = hubtype.RunDispatchResult
	RunListParams      = hubtype.RunListParams
	RunLog             = hubtype.RunLog
	RunSetStatusParams = hubtype.RunSetStatusParams
	RunStatus          = hubtype.RunStatus
	Stage              = hubtype.Stage
	StagePosition      = hubtype.StagePosition
	StageType          = hubtype.StageType
	Storage            = hubtype.Storage
	UnknownValueError  = hubtype.UnknownValueError
	User               = hubtype.User
	WebSession         = hubtype.WebSession
)

// Constants of hub/hubtype.
const (
	AssetOrderCreatedAt  = hubtype.AssetOrderCreatedAt
	AssetOrderExternalID = hubtype.AssetOrderExternalID
	AssetOrderID         = hubtype.AssetOrderID
	AssetOrderSeq        = hubtype.AssetOrderSeq
	AssetOrderStageID    = hubtype.AssetOrderStageID
	AssetOrderTaskID     = hubtype.AssetOrderTaskID
	AssetOrderUpdatedAt  = hubtype.AssetOrderUpdatedAt
	ConnectorREST        = hubtype.ConnectorREST
	ConnectorWS          = hubtype.ConnectorWS
	DefaultStageID       = hubtype.DefaultStageID
	ImportAppend         = hubtype.ImportAppend
	ImportUpsert         = hubtype.ImportUpsert
	IssueClosed          = hubtype.IssueClosed
	IssueOpen            = hubtype.IssueOpen
	IssueResolved        = hubtype.IssueResolved
	RoleAdmin            = hubtype.RoleAdmin
	RoleMember           = hubtype.RoleMember
	RunCancelled         = hubtype.RunCancelled
	RunDispatched        = hubtype.RunDispatched
	RunFailed            = hubtype.RunFailed
	RunLost              = hubtype.RunLost
	RunQueued            = hubtype.RunQueued
	RunRunning           = hubtype.RunRunning
	RunSucceeded         = hubtype.RunSucceeded
	RunTimedOut          = hubtype.RunTimedOut
	RunUploaded          = hubtype.RunUploaded
	StageArchive         = hubtype.StageArchive
	StageComplete        = hubtype.StageComplete
	StageConsensus       = hubtype.StageConsensus
	StageHold            = hubtype.StageHold
	StageLabel           = hubtype.StageLabel
	StageLogic           = hubtype.StageLogic
	StagePlugin          = hubtype.StagePlugin
	StageReview          = hubtype.StageReview
	StageSpacing         = hubtype.StageSpacing
	StageStart           = hubtype.StageStart
	StageWebhook         = hubtype.StageWebhook
)

// Variables of hub/hubtype.
var (
	ErrConflict    = hubtype.ErrConflict
	ErrNotFound    = hubtype.ErrNotFound
	ErrUnavailable = hubtype.ErrUnavailable
	FixedStageIDs  = hubtype.FixedStageIDs
	StageTypes     = hubtype.StageTypes
)

// CheckStages calls hubtype.CheckStages.
func CheckStages(stages []hubtype.Stage) error { return hubtype.CheckStages(stages) }

// NewID calls hubtype.NewID.
func NewID() string { return hubtype.NewID() }

// NormalizeStages calls hubtype.NormalizeStages.
func NormalizeStages(in []hubtype.Stage) []hubtype.Stage { return hubtype.NormalizeStages(in) }

// ResolveBatches calls hubtype.ResolveBatches.
func ResolveBatches(p *hubtype.Project, values []string) (ids []string, names []string, err error) {
	return hubtype.ResolveBatches(p, values)
}

// ResolveStages calls hubtype.ResolveStages.
func ResolveStages(p *hubtype.Project, values []string) ([]string, error) {
	return hubtype.ResolveStages(p, values)
}

// StageName calls hubtype.StageName.
func StageName(p *hubtype.Project, id string) string { return hubtype.StageName(p, id) }
