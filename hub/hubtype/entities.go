package hubtype

import (
	"encoding/json"
	"fmt"
	"iter"
	"time"
)

// Role is a user's role in an organization.
type Role string

// The roles.
const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// Org is an organization: the unit of isolation.
type Org struct {
	ID   string
	Name string
	// WebhookURL is called (POST, HMAC-signed) when a run ends; "" for none.
	WebhookURL string
	// WebhookSecretEnc is the webhook signing secret, encrypted with the hub key.
	WebhookSecretEnc []byte
	CreatedAt        time.Time
}

// User is a member of one organization.
type User struct {
	ID    string
	OrgID string
	Email string
	Name  string
	Role  Role
	// PasswordHash is the bcrypt hash of the password; "" when the user
	// signs in with an API key only.
	PasswordHash string
	CreatedAt    time.Time
}

// APIKey is an API key or a run-scoped token. Only the SHA-256 of the
// secret is stored.
type APIKey struct {
	ID     string
	OrgID  string
	UserID string
	Name   string
	// Prefix is the first characters of the key, shown to identify it.
	Prefix string
	// Hash is the SHA-256 of the full key.
	Hash []byte
	// ProjectID and RunID scope a run token to one project and run; both
	// empty for a user key.
	ProjectID  string
	RunID      string
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
	CreatedAt  time.Time
}

// WebSession is a signed-in browser session. Only the SHA-256 of the cookie
// value is stored.
type WebSession struct {
	Hash      []byte
	UserID    string
	OrgID     string
	CSRFToken string
	// APIKeyID is the user API key the session was signed in with; the
	// session ends when that key is revoked, expires or is gone. Empty
	// for a session signed in with a password.
	APIKeyID string
	// PasswordFingerprint is the SHA-256 of the user's password hash when
	// signed in with a password; the session ends when the password
	// changes. Nil for a session signed in with an API key.
	PasswordFingerprint []byte
	ExpiresAt           time.Time
	CreatedAt           time.Time
}

// Project holds annotated assets.
type Project struct {
	ID          string
	OrgID       string
	Name        string
	Description string
	// CategorySchema is the project's category schema as JSON (see
	// aaf.CategorySchema); "{}" when none.
	CategorySchema json.RawMessage
	// Stages is the workflow, normalized (see NormalizeStages) when read.
	Stages    []Stage
	Batches   []Batch
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Batch is a named batch of a project.
type Batch struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Asset is one imported AAF asset of a project.
type Asset struct {
	ProjectID string
	// ID is the asset's id (Ango's asset _id), unique in the project. On
	// import it is the AAF's assetId when the asset has one; when it is
	// empty, an upsert keeps the id of the asset it replaces and an insert
	// gets a new one (NewID). Always set when read.
	ID string
	// TaskID is the id of the asset's task (Ango's labelTask _id), unique
	// in the project: the AAF's taskId, or kept or new like ID.
	TaskID     string
	ExternalID string
	// Seq orders assets within a project (insertion order); set by the store.
	Seq int64
	// StageID is the task's stageId. The hub gives assets imported without
	// one DefaultStageID.
	StageID string
	// Batches holds the asset's batch names.
	Batches []string
	// UpdatedAt is the task's updatedAt, or the import time.
	UpdatedAt time.Time
	// CreatedAt is when the asset was first imported into the project
	// (read only: set by the store on insert and kept on upsert).
	CreatedAt time.Time
	// PreLabeled is true when the asset was imported with annotations (its
	// task holds tools, classifications or relations).
	PreLabeled bool
	// Data is the asset's AAF JSON exactly as imported.
	Data json.RawMessage
}

// ImportMode says what an import does with an externalId already present.
type ImportMode string

// The import modes.
const (
	ImportAppend ImportMode = "append"
	ImportUpsert ImportMode = "upsert"
)

// Check returns the mode, ImportAppend when empty, or an error naming an
// unknown one.
func (m ImportMode) Check() (ImportMode, error) {
	switch m {
	case "":
		return ImportAppend, nil
	case ImportAppend, ImportUpsert:
		return m, nil
	}
	return "", fmt.Errorf("import mode %q is not one of %s, %s", m, ImportAppend, ImportUpsert)
}

// AssetImportParams is the input of Store.AssetImport.
type AssetImportParams struct {
	ProjectID string
	Mode      ImportMode
	// Rows yields the assets to write; an error stops and rolls back the import.
	Rows iter.Seq2[*Asset, error]
}

// AssetImportResult is the output of Store.AssetImport.
type AssetImportResult struct {
	Inserted int
	Updated  int
}

// AssetListParams filters and pages assets of a project.
type AssetListParams struct {
	ProjectID string
	// StageIDs keeps assets in any of these stages when non-empty.
	StageIDs []string
	// Batches keeps assets in at least one of these batches when non-empty.
	Batches []string
	// UpdatedAfter and UpdatedBefore keep assets whose UpdatedAt is
	// strictly after / before them; zero means no bound.
	UpdatedAfter, UpdatedBefore time.Time
	// CreatedAfter and CreatedBefore keep assets whose CreatedAt is
	// strictly after / before them; zero means no bound.
	CreatedAfter, CreatedBefore time.Time
	// IDs keeps the assets with any of these ids when non-empty.
	IDs []string
	// TaskIDs keeps the assets whose task has any of these ids when
	// non-empty.
	TaskIDs []string
	// ExternalIDs keeps the assets with any of these externalIds when
	// non-empty.
	ExternalIDs []string
	// AllBatches keeps the assets in every one of these batches when
	// non-empty.
	AllBatches []string
	// PreLabeled, when not nil, keeps the assets whose PreLabeled equals
	// it.
	PreLabeled *bool
	AfterSeq   int64
	// Offset skips that many matching assets before the page (pages by
	// number). store.AssetAll needs it zero.
	Offset int
	// OrderBy orders the page; ties and the empty list order by Seq.
	// store.AssetAll needs it empty.
	OrderBy []AssetOrder
	// Limit is the page size. Defaults to 1000.
	Limit int
}

// AssetOrderField names what assets may be ordered by.
type AssetOrderField string

// The fields assets may be ordered by.
const (
	AssetOrderSeq        AssetOrderField = "seq"
	AssetOrderExternalID AssetOrderField = "external_id"
	AssetOrderUpdatedAt  AssetOrderField = "updated_at"
	AssetOrderCreatedAt  AssetOrderField = "created_at"
	AssetOrderStageID    AssetOrderField = "stage_id"
	AssetOrderTaskID     AssetOrderField = "task_id"
	AssetOrderID         AssetOrderField = "asset_id"
)

// AssetOrder is one key of an asset ordering.
type AssetOrder struct {
	Field AssetOrderField
	Desc  bool
}

// Valid reports whether o names a known field.
func (o AssetOrder) Valid() bool {
	switch o.Field {
	case AssetOrderSeq, AssetOrderExternalID, AssetOrderUpdatedAt, AssetOrderCreatedAt,
		AssetOrderStageID, AssetOrderTaskID, AssetOrderID:
		return true
	}
	return false
}

// AssetCounts is a project's asset counts.
type AssetCounts struct {
	Total   int64
	ByStage map[string]int64
	ByBatch map[string]int64
}

// Storage is an organization's own bucket on one of the providers Ango
// names: AWS (any S3-compatible service), GCP or AZURE.
type Storage struct {
	ID    string
	OrgID string
	Name  string
	// Provider is "AWS", "GCP" or "AZURE" (hub/blob validates it).
	Provider string
	// Endpoint is the service URL for S3-, GCS- or Azure-compatible
	// servers; "" for the provider's public cloud.
	Endpoint string
	Region   string
	// Bucket is the bucket (AWS, GCP) or container (AZURE).
	Bucket string
	// AccessKey is the non-secret half of the credentials: the AWS access
	// key id, the GCP service account's e-mail, the Azure account name.
	AccessKey string
	// SecretKeyEnc is the secret half, encrypted with the hub key: the AWS
	// secret key, the GCP service-account JSON key, the Azure account key
	// or SAS token (CredentialType says which).
	SecretKeyEnc []byte
	// CredentialType says what SecretKeyEnc holds ("accessKey",
	// "serviceAccount", "accountKey", "sasToken"; hub/blob defines them).
	CredentialType string
	// Proxied makes the hub serve the storage's presigned URLs itself
	// instead of handing out the provider's own.
	Proxied   bool
	CreatedAt time.Time
}

// Connector says how the hub reaches a plugin.
type Connector string

// The connectors.
const (
	ConnectorWS   Connector = "ws"
	ConnectorREST Connector = "rest"
)

// Plugin is a registered export plugin.
type Plugin struct {
	ID          string
	OrgID       string
	OwnerID     string
	Name        string
	Description string
	// DefaultConfig is the Config JSON the Run dialog starts with; "{}" when none.
	DefaultConfig string
	// RunTimeout bounds one run.
	RunTimeout time.Duration
	Connector  Connector
	// BaseURL is the plugin's URL for the REST connector.
	BaseURL string
	// SecretHash is the SHA-256 of the plugin secret.
	SecretHash []byte
	// SecretEnc is the secret encrypted with the hub key: the REST
	// connector sends it to the plugin, and the owner may reveal it once.
	SecretEnc []byte
	// SecretRevealed is true once the owner revealed the current secret.
	SecretRevealed bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// RunStatus is the state of a run (plugin-protocol.md section 6).
type RunStatus string

// The run states.
const (
	RunQueued     RunStatus = "queued"
	RunDispatched RunStatus = "dispatched"
	RunRunning    RunStatus = "running"
	RunUploaded   RunStatus = "uploaded"
	RunSucceeded  RunStatus = "succeeded"
	RunFailed     RunStatus = "failed"
	RunTimedOut   RunStatus = "timed_out"
	RunLost       RunStatus = "lost"
	RunCancelled  RunStatus = "cancelled"
)

// RunMsgNoInstance is the Message of a run that failed because no
// instance of its plugin was connected.
const RunMsgNoInstance = "no plugin instance connected"

// Final reports whether s ends a run.
func (s RunStatus) Final() bool {
	switch s {
	case RunSucceeded, RunFailed, RunTimedOut, RunLost, RunCancelled:
		return true
	}
	return false
}

// Run is one run of a plugin on a project; its ID is the protocol's session.
type Run struct {
	ID         string
	OrgID      string
	ProjectID  string
	PluginID   string
	UserID     string
	Status     RunStatus
	Message    string
	ConfigJSON string
	// Stages is the stage filter: stage ids, nil for none.
	Stages []string
	// Batches is the batch filter.
	Batches []string
	// InstanceID names the plugin instance the run went to.
	InstanceID string
	// ExportID is set once the run succeeded.
	ExportID string
	// NodeID names the hub process holding the run: the one that created
	// it until it is dispatched, then the one its instance is connected
	// to (it enforces the timeout and receives the plugin's events).
	NodeID   string
	NumTasks int64
	// Retries is how many times the run may be dispatched again when its
	// plugin instance is lost mid-run; 0 (the default) never.
	Retries int
	// Attempt counts the dispatches of the run: 1 for the first, one more
	// for each retry. RunInsert stores 1 when it is 0.
	Attempt int
	// Deadline is when the current attempt times out.
	Deadline     *time.Time
	CreatedAt    time.Time
	DispatchedAt *time.Time
	StartedAt    *time.Time
	EndedAt      *time.Time
}

// RunListParams filters Store.RunList.
type RunListParams struct {
	OrgID     string
	ProjectID string // optional
	PluginID  string // optional
	// Limit defaults to 100.
	Limit int
}

// RunSetStatusParams is the input of Store.RunSetStatus.
type RunSetStatusParams struct {
	ID         string
	From       []RunStatus
	Status     RunStatus
	Message    string
	InstanceID string
	ExportID   string
	// NodeID, when set, changes the node holding the run.
	NodeID   string
	NumTasks int64
	Deadline *time.Time
	// Attempt, when set, changes the run's Attempt (a retry).
	Attempt int
	// FromAttempt, when set, is a condition like From: the run must be at
	// that attempt, so that whoever acts on an earlier attempt cannot
	// change a retried run.
	FromAttempt int
	// FromNode, when set, is a condition like From: the run must be held
	// by that node (a replica adopting the run of a stopped one).
	FromNode string
	// Take marks the dispatched run as taken by the replica of its
	// instance (it is about to hand it to the plugin); NotTaken is a
	// condition: the run must not have been taken since its dispatch
	// (the replica that asked for the handover may end it only then).
	Take     bool
	NotTaken bool
	At       time.Time
}

// RunDispatchParams is the input of Store.RunDispatch.
type RunDispatchParams struct {
	RunID    string
	PluginID string
	// At is the dispatch time. Defaults to now.
	At time.Time
}

// RunDispatchResult is the output of Store.RunDispatch.
type RunDispatchResult struct {
	// Run is the dispatched run.
	Run *Run
	// Instance is the chosen instance; its Runs counts this run.
	Instance *Instance
}

// Node is a hub process sharing the store with other replicas.
type Node struct {
	ID string
	// Incarnation is a random value the process chose when it started; it
	// tells a restarted process from its previous life.
	Incarnation string
	StartedAt   time.Time
	// LastSeen is when the lease was last renewed.
	LastSeen time.Time
	// ExpiresAt is when the lease ends; nil for a lease that never ends
	// (a single-process hub).
	ExpiresAt *time.Time
	// Expired is true when the lease has ended by the database's clock
	// (read only: set by NodeList and NodeRegister).
	Expired bool
}

// NodeLeaseParams is the input of Store.NodeRegister and Store.NodeRenew.
type NodeLeaseParams struct {
	ID          string
	Incarnation string
	// Lease is how long the lease lasts from now, by the database's clock
	// (PostgreSQL's, so that replicas' clocks need not agree); 0 means it
	// never ends.
	Lease time.Duration
}

// Instance is a plugin instance connected to one hub node.
type Instance struct {
	NodeID string
	// ID names the instance (the Socket.IO socket id).
	ID        string
	PluginID  string
	OrgID     string
	Connector Connector
	// RemoteAddr is the plugin process's address as the node saw it.
	RemoteAddr    string
	ConnectedAt   time.Time
	LastHeartbeat time.Time
	// Runs is how many runs dispatched to the instance are active (read
	// only: set by InstanceList and RunDispatch).
	Runs int
}

// RunLog is one log line of a run.
type RunLog struct {
	RunID string
	Seq   int64
	Time  time.Time
	// Level is "DEBUG", "INFO", "WARNING" or "ERROR".
	Level string
	Msg   string
	// Extra holds the line's extra keys as a JSON object; nil when none.
	Extra json.RawMessage
}

// Export is a file produced by a run.
type Export struct {
	ID        string
	OrgID     string
	ProjectID string
	RunID     string
	PluginID  string
	UserID    string
	FileName  string
	Size      int64
	// SHA256 is the hex SHA-256 of the file.
	SHA256 string
	// StorageID is the organization storage holding the file; "" for the hub's own.
	StorageID string
	Bucket    string
	ObjectKey string
	CreatedAt time.Time
}

// Notification is a message to one user.
type Notification struct {
	ID     string
	OrgID  string
	UserID string
	// Kind is e.g. "export_ready" or "run_failed".
	Kind      string
	Title     string
	Body      string
	Link      string
	RunID     string
	ExportID  string
	ReadAt    *time.Time
	CreatedAt time.Time
}
