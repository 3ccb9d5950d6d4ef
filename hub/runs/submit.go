package runs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/plugins"
	"github.com/exporthub/exporthub/hub/store"
)

// ErrPluginNotEnabled is returned by Submit when the plugin is not enabled
// on the project.
var ErrPluginNotEnabled = errors.New("runs: the plugin is not enabled on this project")

// MaxRetries bounds SubmitParams.Retries.
const MaxRetries = 5

// InputError is a bad value in a run request; Field names it.
type InputError struct {
	Field   string
	Message string
}

// Error returns "FIELD: MESSAGE".
func (e *InputError) Error() string { return e.Field + ": " + e.Message }

// SubmitParams is a click on Run.
type SubmitParams struct {
	OrgID     string
	ProjectID string
	PluginID  string
	// UserID is the user who clicked Run: the run token acts as them, and
	// they are notified when the run ends.
	UserID string
	// ConfigJSON is the Config JSON text typed in the Run dialog; nil
	// means the plugin's default. It must be valid JSON; "" means "{}".
	ConfigJSON *string
	// Stages is the stage filter, by stage id or name; nil for none.
	Stages []string
	// Batches is the batch filter, by batch id or name.
	Batches []string
	// Retries is how many times the run is dispatched again, to another
	// instance of the plugin, when its instance is lost mid-run (it
	// disconnects, or the hub replica it is connected to stops): 0 to
	// MaxRetries. Runs that fail, time out or are cancelled are never
	// retried. Defaults to 0.
	Retries int
}

// Submit creates a run and dispatches it at once to the least busy
// instance of the plugin connected to any hub replica. The returned run is
// dispatched, or failed with MsgNoInstance when no instance of the plugin
// is connected (or with MsgReplicaNoAnswer when the replica holding the
// chosen instance did not take the run in time). Errors:
// store.ErrNotFound (project or plugin not in the organization),
// ErrPluginNotEnabled, *hubtype.FieldError (a config that is not one JSON
// object of at most Config.MaxConfigLen bytes; over it, it wraps hubtype.ErrTooLarge), *InputError (bad stage,
// batch or retries), ErrClosed.
func (m *Manager) Submit(ctx context.Context, p *SubmitParams) (*store.Run, error) {
	m.mu.Lock()
	closing := m.closing
	m.mu.Unlock()
	if closing {
		return nil, ErrClosed
	}
	project, err := m.st.ProjectGet(ctx, p.OrgID, p.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("get project: %w", err)
	}
	plug, err := m.st.PluginGet(ctx, p.OrgID, p.PluginID)
	if err != nil {
		return nil, fmt.Errorf("get plugin: %w", err)
	}
	if err := m.checkEnabled(ctx, p.OrgID, p.ProjectID, p.PluginID); err != nil {
		return nil, err
	}
	if p.Retries < 0 || p.Retries > MaxRetries {
		return nil, &InputError{Field: "retries", Message: fmt.Sprintf("must be from 0 to %d, got %d", MaxRetries, p.Retries)}
	}
	config, err := configText(p.ConfigJSON, plug.DefaultConfig, m.cfg.MaxConfigLen)
	if err != nil {
		return nil, err
	}
	stages, err := store.ResolveStages(project, p.Stages)
	if err != nil {
		return nil, inputError(err)
	}
	batchIDs, batchNames, err := store.ResolveBatches(project, p.Batches)
	if err != nil {
		return nil, inputError(err)
	}
	numTasks, err := m.st.AssetCount(ctx, &store.AssetListParams{ProjectID: project.ID, StageIDs: stages, Batches: batchNames})
	if err != nil {
		return nil, fmt.Errorf("count assets: %w", err)
	}

	now := time.Now().UTC()
	deadline := now.Add(m.runTimeout(plug))
	run := &store.Run{
		ID:         store.NewID(),
		OrgID:      p.OrgID,
		ProjectID:  project.ID,
		PluginID:   plug.ID,
		UserID:     p.UserID,
		Status:     store.RunQueued,
		ConfigJSON: config,
		Stages:     stages,
		Batches:    batchIDs,
		NodeID:     m.node,
		NumTasks:   numTasks,
		Retries:    p.Retries,
		Attempt:    1,
		Deadline:   &deadline,
		CreatedAt:  now,
	}
	if err := m.st.RunInsert(ctx, run); err != nil {
		return nil, fmt.Errorf("insert run: %w", err)
	}
	m.mu.Lock()
	closing = m.closing
	m.mu.Unlock()
	if closing {
		m.endUndispatched(run.ID, MsgHubRestarted)
		return nil, ErrClosed
	}
	if plug.Connector == store.ConnectorREST {
		m.dispatchREST(ctx, run, plug, noInstance)
	} else {
		m.dispatch(ctx, run, plug, noInstance)
	}
	out, err := m.st.RunGet(ctx, p.OrgID, run.ID)
	if err != nil {
		return nil, fmt.Errorf("get run: %w", err)
	}
	return out, nil
}

// runTimeout returns the timeout of each attempt of a plugin's runs.
func (m *Manager) runTimeout(p *store.Plugin) time.Duration {
	if p.RunTimeout > 0 {
		return p.RunTimeout
	}
	return m.cfg.DefaultRunTimeout
}

// endUndispatched fails a run that never reached the dispatcher.
func (m *Manager) endUndispatched(runID, msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if _, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
		ID: runID, From: ActiveStates, Status: store.RunFailed, Message: msg, At: time.Now().UTC(),
	}); err != nil {
		m.log.ErrorContext(ctx, "end run", slog.String(logKeyRun, runID), slog.Any(logKeyError, err))
	}
	if err := m.st.APIKeyRevokeForRun(ctx, runID, time.Now().UTC()); err != nil {
		m.log.ErrorContext(ctx, "revoke run token", slog.String(logKeyRun, runID), slog.Any(logKeyError, err))
	}
}

// checkEnabled returns ErrPluginNotEnabled unless the plugin is enabled
// on the project.
func (m *Manager) checkEnabled(ctx context.Context, orgID, projectID, pluginID string) error {
	enabled, err := m.st.ProjectPluginList(ctx, orgID, projectID)
	if err != nil {
		return fmt.Errorf("list project plugins: %w", err)
	}
	for _, e := range enabled {
		if e.ID == pluginID {
			return nil
		}
	}
	return ErrPluginNotEnabled
}

// configText returns the Config JSON to send: the given text or the
// plugin's default, "{}" when empty. It must be valid JSON.
func configText(given *string, def string, max int) (string, error) {
	text := def
	if given != nil {
		text = *given
	}
	if strings.TrimSpace(text) == "" {
		return "{}", nil
	}
	if err := plugins.CheckConfigLimit("configJSON", text, max); err != nil {
		return "", err
	}
	return text, nil
}

// inputError turns an unknown stage or batch of a filter into an
// *InputError naming the field (stage, batches[i]).
func inputError(err error) error {
	var ue *store.UnknownValueError
	if !errors.As(err, &ue) {
		return err
	}
	field := "stage"
	if ue.Kind == "batch" {
		field = fmt.Sprintf("batches[%d]", ue.Index)
	}
	return &InputError{Field: field, Message: ue.Error()}
}
