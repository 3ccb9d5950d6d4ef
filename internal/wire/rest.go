package wire

// The REST connector (plugin-protocol.md section 3): the plugin serves
// HTTP, the hub calls it.
const (
	// PathHeartbeat is the plugin's liveness endpoint: GET {base}/heartbeat
	// with HeaderSecret answers 200 "ok" (401 on a wrong secret).
	PathHeartbeat = "/heartbeat"
	// PathRun is where the hub starts a run: POST {base}/plugin with
	// HeaderSecret and a [RunRequest] body. The plugin answers when the
	// run is over; the result goes to PathPluginResponse.
	PathRun = "/plugin"
	// PathCancel cancels a run (ours): POST {base}/cancel with
	// HeaderSecret and a [Cancel] body.
	PathCancel = "/cancel"
	// HeaderSecret carries the plugin secret on the hub's calls to a REST
	// plugin.
	HeaderSecret = "Secret"
	// HeartbeatOK is the body of a plugin's answer to a heartbeat.
	HeartbeatOK = "ok"
)

// The hub's /v2 API a plugin calls during a run (plugin-protocol.md
// section 5), with HeaderAPIKey set to the run request's APIKey.
const (
	// HeaderAPIKey carries the run's API key on every /v2 call.
	HeaderAPIKey = "apikey"
	// PathExport is GET /v2/export?project=&format=&stage=&batches=...:
	// [ExportData] with the URL of a zip whose first entry is the export.
	PathExport = "/v2/export"
	// PathUploadURL is GET /v2/getUploadUrl?name=&project=&type=exports
	// [&storageId=]: [UploadURLData], a presigned PUT URL.
	PathUploadURL = "/v2/getUploadUrl"
	// PathSignedURL is GET /v2/getSignedUrl?name=&project=&type=exports
	// [&storageId=]: [SignedURLData], a presigned GET URL of an upload.
	PathSignedURL = "/v2/getSignedUrl"
	// PathPluginLog is POST /v2/pluginLog with a [Log] body (REST
	// connector); the data is an [Ack].
	PathPluginLog = "/v2/pluginLog"
	// PathPluginResponse is POST /v2/pluginResponse with a [Response]
	// body (REST connector); the data is an [Ack].
	PathPluginResponse = "/v2/pluginResponse"
	// PathProject is the prefix of GET /v2/project/{id}: the project with
	// its batches, stages and category schema.
	PathProject = "/v2/project/"
	// UploadTypeExports is the type parameter of the upload calls for an
	// export's file.
	UploadTypeExports = "exports"
)

// ExportData is the data of GET /v2/export.
type ExportData struct {
	// ExportPath is a presigned GET URL of a zip whose first entry is
	// the export (NDJSON or a JSON array).
	ExportPath string `json:"exportPath"`
	// NumTasks is the number of assets in the export (ours).
	NumTasks int64 `json:"numTasks"`
}

// UploadURLData is the data of GET /v2/getUploadUrl.
type UploadURLData struct {
	// UploadURL is a presigned PUT URL; the plugin PUTs the file's bytes
	// there as the plain body.
	UploadURL string `json:"uploadUrl"`
}

// SignedURLData is the data of GET /v2/getSignedUrl.
type SignedURLData struct {
	// SignedURL is a presigned GET URL of the uploaded file.
	SignedURL string `json:"signedUrl"`
}

// Ack is the data of the answers to POST /v2/pluginLog, POST
// /v2/pluginResponse and of a REST plugin's answers to POST {base}/plugin
// and POST {base}/cancel: the run it was about.
type Ack struct {
	// Session is the run's session.
	Session string `json:"session"`
}
