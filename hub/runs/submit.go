package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/store"
)

// ErrPluginNotEnabled is returned by Submit when the plugin is not enabled
// on the project.
var ErrPluginNotEnabled = errors.New("runs: the plugin is not enabled on this project")

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
	// Stage is the stage filter, by stage id or name; "" for none.
	Stage string
	// Batches is the batch filter, by batch id or name.
	Batches []string
}

// Submit creates a run and dispatches it at once. The returned run is
// dispatched, or failed with MsgNoInstance when no instance of the plugin
// is connected. Errors: store.ErrNotFound (project or plugin not in the
// organization), ErrPluginNotEnabled, *InputError (bad config, stage or
// batch), ErrClosed.
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
	config, err := configText(p.ConfigJSON, plug.DefaultConfig)
	if err != nil {
		return nil, err
	}
	stage, err := resolveStage(project, p.Stage)
	if err != nil {
		return nil, err
	}
	batchIDs, batchNames, err := resolveBatches(project, p.Batches)
	if err != nil {
		return nil, err
	}
	numTasks, err := m.st.AssetCount(ctx, &store.AssetListParams{ProjectID: project.ID, StageID: stage, Batches: batchNames})
	if err != nil {
		return nil, fmt.Errorf("count assets: %w", err)
	}

	timeout := plug.RunTimeout
	if timeout <= 0 {
		timeout = m.cfg.DefaultRunTimeout
	}
	now := time.Now().UTC()
	deadline := now.Add(timeout)
	run := &store.Run{
		ID:         store.NewID(),
		OrgID:      p.OrgID,
		ProjectID:  project.ID,
		PluginID:   plug.ID,
		UserID:     p.UserID,
		Status:     store.RunQueued,
		ConfigJSON: config,
		Stage:      stage,
		Batches:    batchIDs,
		NumTasks:   numTasks,
		Deadline:   &deadline,
		CreatedAt:  now,
	}
	if err := m.st.RunInsert(ctx, run); err != nil {
		return nil, fmt.Errorf("insert run: %w", err)
	}
	token, display, hash := auth.NewKey(auth.RunTokenPrefix)
	if err := m.st.APIKeyInsert(ctx, &store.APIKey{
		ID:        store.NewID(),
		OrgID:     p.OrgID,
		UserID:    p.UserID,
		Name:      "run " + run.ID,
		Prefix:    display,
		Hash:      hash,
		ProjectID: project.ID,
		RunID:     run.ID,
		ExpiresAt: &deadline,
	}); err != nil {
		// The run exists but cannot be dispatched: end it rather than
		// leave it queued.
		m.endUndispatched(run.ID, "the hub could not create the run's API token")
		return nil, fmt.Errorf("insert run token: %w", err)
	}

	ar := &activeRun{run: run, pluginName: plug.Name, timeout: timeout}
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		m.endUndispatched(run.ID, MsgHubRestarted)
		return nil, ErrClosed
	}
	ar.timer = time.AfterFunc(timeout, func() { m.finish(run.ID, store.RunTimedOut, msgTimedOut(timeout)) })
	m.active[run.ID] = ar
	m.mu.Unlock()

	var stagePtr *string
	if stage != "" {
		stagePtr = &stage
	}
	inst, err := m.gw.Dispatch(ctx, &gateway.Dispatch{
		Request: gateway.RunRequest{
			ProjectID:  project.ID,
			APIKey:     token,
			OrgID:      p.OrgID,
			RunBy:      p.UserID,
			Session:    run.ID,
			ConfigJSON: config,
			Stage:      stagePtr,
			Batches:    batchIDs,
			PluginID:   plug.ID,
			NumTasks:   numTasks,
		},
		Deadline: deadline,
		// The dispatch is recorded before the plugin gets the run, so
		// its logs and response always find the run dispatched.
		OnReserved: func(inst gateway.InstanceInfo) error {
			_, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
				ID: run.ID, From: []store.RunStatus{store.RunQueued}, Status: store.RunDispatched,
				InstanceID: inst.ID, At: time.Now().UTC(),
			})
			return err
		},
	})
	switch {
	case errors.Is(err, gateway.ErrNoInstance):
		m.finish(run.ID, store.RunFailed, MsgNoInstance)
	case errors.Is(err, store.ErrConflict):
		// The run ended (cancelled) before it was sent.
	case err != nil:
		m.log.WarnContext(ctx, "dispatch run", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
		m.finish(run.ID, store.RunFailed, "the hub could not send the run to the plugin instance")
	default:
		m.log.InfoContext(ctx, "run dispatched", slog.String(logKeyRun, run.ID), slog.String(logKeyPlugin, plug.ID), slog.String(logKeyInstance, inst.ID))
	}
	out, err := m.st.RunGet(ctx, p.OrgID, run.ID)
	if err != nil {
		return nil, fmt.Errorf("get run: %w", err)
	}
	return out, nil
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
func configText(given *string, def string) (string, error) {
	text := def
	if given != nil {
		text = *given
	}
	if strings.TrimSpace(text) == "" {
		return "{}", nil
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return "", &InputError{Field: "configJSON", Message: fmt.Sprintf("is not valid JSON at byte %d: %v", se.Offset, err)}
		}
		return "", &InputError{Field: "configJSON", Message: fmt.Sprintf("is not valid JSON: %v", err)}
	}
	return text, nil
}

// resolveStage returns the id of the stage named by id or name; "" for
// none.
func resolveStage(p *store.Project, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, st := range p.Stages {
		if st.ID == s {
			return st.ID, nil
		}
	}
	for _, st := range p.Stages {
		if st.Name == s {
			return st.ID, nil
		}
	}
	return "", &InputError{Field: "stage", Message: fmt.Sprintf("project %s has no stage %q", p.ID, s)}
}

// resolveBatches returns the ids and names of the batches named by id or
// name, without duplicates, in the given order.
func resolveBatches(p *store.Project, given []string) (ids, names []string, err error) {
	seen := make(map[string]bool, len(given))
	for i, s := range given {
		s = strings.TrimSpace(s)
		var found *store.Batch
		for j := range p.Batches {
			if p.Batches[j].ID == s {
				found = &p.Batches[j]
				break
			}
		}
		if found == nil {
			for j := range p.Batches {
				if p.Batches[j].Name == s {
					found = &p.Batches[j]
					break
				}
			}
		}
		if found == nil {
			return nil, nil, &InputError{Field: fmt.Sprintf("batches[%d]", i), Message: fmt.Sprintf("project %s has no batch %q", p.ID, s)}
		}
		if seen[found.ID] {
			continue
		}
		seen[found.ID] = true
		ids = append(ids, found.ID)
		names = append(names, found.Name)
	}
	return ids, names, nil
}
