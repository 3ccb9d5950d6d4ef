package plugins

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/internal/secretbox"
)

// Limits of plugin fields.
const (
	// MaxNameLen bounds a plugin's name, in characters.
	MaxNameLen = 200
	// MaxDescriptionLen bounds a plugin's description, in characters.
	MaxDescriptionLen = 10000
	// MaxConfigLen bounds a Config JSON text (a plugin's default config
	// and the config of a run), in bytes.
	MaxConfigLen = 64 << 10
	// MinRunTimeout and MaxRunTimeout bound a plugin's run timeout.
	MinRunTimeout = time.Second
	MaxRunTimeout = 7 * 24 * time.Hour
)

// Messages of the `error` event sent to the instances a change cuts off.
const (
	MsgSecretRotated = "the plugin secret was rotated"
	MsgPluginDeleted = "the plugin was deleted"
)

// Store is what the service needs of the hub's store (hub/store.Store
// has it).
type Store interface {
	PluginInsert(ctx context.Context, p *hubtype.Plugin) error
	PluginGet(ctx context.Context, orgID, id string) (*hubtype.Plugin, error)
	PluginList(ctx context.Context, orgID string) ([]*hubtype.Plugin, error)
	PluginUpdate(ctx context.Context, p *hubtype.Plugin) error
	PluginDelete(ctx context.Context, orgID, id string) error
	ProjectGet(ctx context.Context, orgID, id string) (*hubtype.Project, error)
	ProjectPluginList(ctx context.Context, orgID, projectID string) ([]*hubtype.Plugin, error)
	ProjectPluginEnable(ctx context.Context, orgID, projectID, pluginID string) error
	ProjectPluginDisable(ctx context.Context, orgID, projectID, pluginID string) error
}

// Dispatcher is what the service needs of the run dispatcher (hub/runs
// Manager has it).
type Dispatcher interface {
	// Instances lists the instances of a plugin connected to any replica.
	Instances(ctx context.Context, pluginID string) []hubtype.InstanceInfo
	// DisconnectPlugin cuts off the plugin's instances with reason.
	DisconnectPlugin(pluginID, reason string)
	// RefreshREST makes the REST connector poller re-read the plugins.
	RefreshREST()
	// CheckBaseURL reports whether a REST plugin may use base URL u.
	CheckBaseURL(u string) error
}

// Config configures a [Service]. Fields are read once by [New].
type Config struct {
	// Store holds the plugins. Required.
	Store Store
	// Dispatcher is told about plugin changes. Required.
	Dispatcher Dispatcher
	// Box seals plugin secrets at rest. Required.
	Box *secretbox.Box
	// MaxConfigLen bounds a Config JSON text, in bytes. Defaults to
	// MaxConfigLen.
	MaxConfigLen int
}

// Service applies the plugin rules. It is safe for concurrent use.
type Service struct {
	st        Store
	dsp       Dispatcher
	box       *secretbox.Box
	maxConfig int
}

// New returns a Service.
func New(c *Config) (*Service, error) {
	switch {
	case c == nil || c.Store == nil:
		return nil, errors.New("plugins: Store is required")
	case c.Dispatcher == nil:
		return nil, errors.New("plugins: Dispatcher is required")
	case c.Box == nil:
		return nil, errors.New("plugins: Box is required")
	}
	return &Service{st: c.Store, dsp: c.Dispatcher, box: c.Box, maxConfig: cmp.Or(c.MaxConfigLen, MaxConfigLen)}, nil
}

// MaxConfigLen returns the bound of a Config JSON text, in bytes.
func (s *Service) MaxConfigLen() int { return s.maxConfig }

// NewSecret returns a new plugin secret, shaped like the UUID secrets Ango
// hands out (a random version 4 UUID), with the hash the hub stores (its
// SHA-256, which the gateway checks with gateway.SecretMatches).
func NewSecret() (secret string, hash []byte) {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	secret = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	sum := sha256.Sum256([]byte(secret))
	return secret, sum[:]
}

// CreateParams is the input of [Service.Create].
type CreateParams struct {
	Name        string
	Description string
	// DefaultConfig is the Config JSON the Run dialog starts with: a JSON
	// object; blank means "{}".
	DefaultConfig string
	// RunTimeout bounds each run; 0 means the hub's default.
	RunTimeout time.Duration
	// Connector is "ws" (the default when empty) or "rest".
	Connector hubtype.Connector
	// BaseURL is the plugin's URL for the rest connector.
	BaseURL string
	// ShowSecret returns the new secret now (and marks it revealed);
	// otherwise the owner reveals it once later with RevealSecret.
	ShowSecret bool
}

// Create creates a plugin owned by the caller with a new secret. The
// secret is returned when params.ShowSecret is set, "" otherwise.
func (s *Service) Create(ctx context.Context, pr *auth.Principal, params *CreateParams) (*hubtype.Plugin, string, error) {
	secret, hash := NewSecret()
	p := &hubtype.Plugin{
		ID:             hubtype.NewID(),
		OrgID:          pr.OrgID,
		OwnerID:        pr.UserID,
		Name:           strings.TrimSpace(params.Name),
		Description:    params.Description,
		DefaultConfig:  configOrEmpty(params.DefaultConfig),
		RunTimeout:     params.RunTimeout,
		Connector:      normalConnector(params.Connector),
		BaseURL:        strings.TrimRight(strings.TrimSpace(params.BaseURL), "/"),
		SecretHash:     hash,
		SecretEnc:      s.box.Seal([]byte(secret)),
		SecretRevealed: params.ShowSecret,
	}
	if p.Connector == "" {
		p.Connector = hubtype.ConnectorWS
	}
	if err := s.check(p); err != nil {
		return nil, "", err
	}
	if err := s.st.PluginInsert(ctx, p); err != nil {
		return nil, "", writeError("insert", p, err)
	}
	if p.Connector == hubtype.ConnectorREST {
		s.dsp.RefreshREST()
	}
	if !params.ShowSecret {
		secret = ""
	}
	return p, secret, nil
}

// List returns the caller's organization's plugins, by name.
func (s *Service) List(ctx context.Context, pr *auth.Principal) ([]*hubtype.Plugin, error) {
	list, err := s.st.PluginList(ctx, pr.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list plugins: %w", err)
	}
	return list, nil
}

// Get returns plugin id of the caller's organization (ErrNotFound
// otherwise).
func (s *Service) Get(ctx context.Context, pr *auth.Principal, id string) (*hubtype.Plugin, error) {
	return s.st.PluginGet(ctx, pr.OrgID, id)
}

// CanChange reports whether pr may change plugin p, see its instances
// and its secret: its owner or an organization admin.
func CanChange(pr *auth.Principal, p *hubtype.Plugin) bool {
	return p.OwnerID == pr.UserID || pr.IsAdmin()
}

// getOwn returns plugin id when the caller may change it.
func (s *Service) getOwn(ctx context.Context, pr *auth.Principal, id string) (*hubtype.Plugin, error) {
	p, err := s.st.PluginGet(ctx, pr.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !CanChange(pr, p) {
		return nil, hubtype.Forbiddenf("only the plugin's owner or an organization admin may change plugin %s", p.ID)
	}
	return p, nil
}

// Instances lists the instances of plugin id connected to any replica of
// the hub (owner or admin).
func (s *Service) Instances(ctx context.Context, pr *auth.Principal, id string) ([]hubtype.InstanceInfo, error) {
	p, err := s.getOwn(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	return s.OnlineInstances(ctx, p), nil
}

// OnlineInstances lists the connected instances of p, a plugin the
// caller got from this service; the lists show how many there are.
func (s *Service) OnlineInstances(ctx context.Context, p *hubtype.Plugin) []hubtype.InstanceInfo {
	var out []hubtype.InstanceInfo
	for _, i := range s.dsp.Instances(ctx, p.ID) {
		if i.OrgID == p.OrgID {
			out = append(out, i)
		}
	}
	return out
}

// UpdateParams is the input of [Service.Update]: nil fields are left as
// they are.
type UpdateParams struct {
	ID            string
	Name          *string
	Description   *string
	DefaultConfig *string
	RunTimeout    *time.Duration
	Connector     *hubtype.Connector
	BaseURL       *string
}

// Update changes a plugin's fields (owner or admin).
func (s *Service) Update(ctx context.Context, pr *auth.Principal, params *UpdateParams) (*hubtype.Plugin, error) {
	p, err := s.getOwn(ctx, pr, params.ID)
	if err != nil {
		return nil, err
	}
	if params.Name != nil {
		p.Name = strings.TrimSpace(*params.Name)
	}
	if params.Description != nil {
		p.Description = *params.Description
	}
	if params.DefaultConfig != nil {
		p.DefaultConfig = configOrEmpty(*params.DefaultConfig)
	}
	if params.RunTimeout != nil {
		p.RunTimeout = *params.RunTimeout
	}
	if params.Connector != nil {
		p.Connector = normalConnector(*params.Connector)
	}
	if params.BaseURL != nil {
		p.BaseURL = strings.TrimRight(strings.TrimSpace(*params.BaseURL), "/")
	}
	if err := s.check(p); err != nil {
		return nil, err
	}
	if err := s.st.PluginUpdate(ctx, p); err != nil {
		return nil, writeError("update", p, err)
	}
	s.dsp.RefreshREST()
	return p, nil
}

// Delete deletes a plugin (owner or admin) and returns it; its connected
// instances are disconnected (their runs end as lost).
func (s *Service) Delete(ctx context.Context, pr *auth.Principal, id string) (*hubtype.Plugin, error) {
	p, err := s.getOwn(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	if err := s.st.PluginDelete(ctx, p.OrgID, p.ID); err != nil {
		return nil, fmt.Errorf("delete plugin: %w", err)
	}
	s.dsp.DisconnectPlugin(p.ID, MsgPluginDeleted)
	s.dsp.RefreshREST()
	return p, nil
}

// RotateSecret gives a plugin a new secret (owner or admin) and returns
// the plugin and the secret, shown this once. Instances connected with
// the old secret are disconnected.
func (s *Service) RotateSecret(ctx context.Context, pr *auth.Principal, id string) (*hubtype.Plugin, string, error) {
	p, err := s.getOwn(ctx, pr, id)
	if err != nil {
		return nil, "", err
	}
	secret, hash := NewSecret()
	p.SecretHash, p.SecretEnc, p.SecretRevealed = hash, s.box.Seal([]byte(secret)), true
	if err := s.st.PluginUpdate(ctx, p); err != nil {
		return nil, "", fmt.Errorf("update plugin: %w", err)
	}
	s.dsp.DisconnectPlugin(p.ID, MsgSecretRotated)
	return p, secret, nil
}

// RevealSecret returns a plugin's current secret once (owner or admin);
// ErrConflict when it was shown already (rotate it then).
func (s *Service) RevealSecret(ctx context.Context, pr *auth.Principal, id string) (*hubtype.Plugin, string, error) {
	p, err := s.getOwn(ctx, pr, id)
	if err != nil {
		return nil, "", err
	}
	if p.SecretRevealed {
		return nil, "", hubtype.Conflictf("the secret of plugin %s was already revealed; rotate it to get a new one", p.ID)
	}
	secret, err := s.box.Open(p.SecretEnc)
	if err != nil {
		return nil, "", fmt.Errorf("open plugin secret: %w", err)
	}
	p.SecretRevealed = true
	if err := s.st.PluginUpdate(ctx, p); err != nil {
		return nil, "", fmt.Errorf("update plugin: %w", err)
	}
	return p, string(secret), nil
}

// ProjectPlugins returns the plugins enabled on a project of the
// caller's organization.
func (s *Service) ProjectPlugins(ctx context.Context, pr *auth.Principal, projectID string) ([]*hubtype.Plugin, error) {
	project, err := s.project(ctx, pr, projectID)
	if err != nil {
		return nil, err
	}
	list, err := s.st.ProjectPluginList(ctx, project.OrgID, project.ID)
	if err != nil {
		return nil, fmt.Errorf("list project plugins: %w", err)
	}
	return list, nil
}

// ProjectPluginParams names a plugin of a project.
type ProjectPluginParams struct {
	ProjectID string
	PluginID  string
}

// CanManageProjectPlugins reports whether pr may enable and disable
// plugins on projects: organization admins only.
func CanManageProjectPlugins(pr *auth.Principal) bool { return pr.IsAdmin() }

// Enable enables a plugin on a project (organization admins; idempotent)
// and returns the plugin.
func (s *Service) Enable(ctx context.Context, pr *auth.Principal, params *ProjectPluginParams) (*hubtype.Plugin, error) {
	return s.changeProjectPlugin(ctx, pr, params, true)
}

// Disable disables a plugin on a project (organization admins) and
// returns the plugin; ErrNotFound when it was not enabled.
func (s *Service) Disable(ctx context.Context, pr *auth.Principal, params *ProjectPluginParams) (*hubtype.Plugin, error) {
	return s.changeProjectPlugin(ctx, pr, params, false)
}

func (s *Service) changeProjectPlugin(ctx context.Context, pr *auth.Principal, params *ProjectPluginParams, enable bool) (*hubtype.Plugin, error) {
	project, err := s.project(ctx, pr, params.ProjectID)
	if err != nil {
		return nil, err
	}
	if !CanManageProjectPlugins(pr) {
		verb := "disable"
		if enable {
			verb = "enable"
		}
		return nil, hubtype.Forbiddenf("only an organization admin may %s plugins on a project; your role is %q", verb, pr.Role)
	}
	p, err := s.st.PluginGet(ctx, project.OrgID, params.PluginID)
	if err != nil {
		return nil, err
	}
	if enable {
		err = s.st.ProjectPluginEnable(ctx, project.OrgID, project.ID, p.ID)
	} else {
		err = s.st.ProjectPluginDisable(ctx, project.OrgID, project.ID, p.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("change project plugins: %w", err)
	}
	return p, nil
}

// project returns a project the caller may reach.
func (s *Service) project(ctx context.Context, pr *auth.Principal, id string) (*hubtype.Project, error) {
	if id == "" || !pr.CanReachProject(id) {
		return nil, hubtype.ErrNotFound
	}
	return s.st.ProjectGet(ctx, pr.OrgID, id)
}

// check validates a plugin's fields; errors name the field.
func (s *Service) check(p *hubtype.Plugin) error {
	switch {
	case p.Name == "":
		return hubtype.Fieldf("name", "name is required")
	case utf8.RuneCountInString(p.Name) > MaxNameLen:
		return hubtype.Fieldf("name", "name is longer than %d characters", MaxNameLen)
	case utf8.RuneCountInString(p.Description) > MaxDescriptionLen:
		return hubtype.Fieldf("description", "description is longer than %d characters", MaxDescriptionLen)
	case p.RunTimeout != 0 && (p.RunTimeout < MinRunTimeout || p.RunTimeout > MaxRunTimeout):
		return hubtype.Fieldf("runTimeout", "runTimeout must be between %s and %s, got %s", MinRunTimeout, MaxRunTimeout, p.RunTimeout)
	}
	if err := CheckConfigLimit("defaultConfig", p.DefaultConfig, s.maxConfig); err != nil {
		return err
	}
	switch p.Connector {
	case hubtype.ConnectorWS:
		if p.BaseURL != "" {
			return hubtype.Fieldf("baseUrl", "baseUrl is only used by the rest connector; connector is %q", p.Connector)
		}
	case hubtype.ConnectorREST:
		if p.BaseURL == "" {
			return hubtype.Fieldf("baseUrl", "baseUrl is required for the rest connector")
		}
		if err := s.dsp.CheckBaseURL(p.BaseURL); err != nil {
			return hubtype.Fieldf("baseUrl", "baseUrl: %v", err)
		}
	default:
		return hubtype.Fieldf("connector", "connector must be \"ws\" or \"rest\", got %q", p.Connector)
	}
	return nil
}

// CheckConfig checks a Config JSON text (a plugin's default config, the
// config of a run): at most MaxConfigLen bytes holding one JSON object.
// Errors are *hubtype.FieldError for field; a syntax error gives its byte
// offset.
func CheckConfig(field, text string) error {
	return CheckConfigLimit(field, text, MaxConfigLen)
}

// CheckConfigLimit is CheckConfig with a limit of max bytes. A text over
// it gives a *hubtype.FieldError wrapping hubtype.ErrTooLarge that names
// the limit.
func CheckConfigLimit(field, text string, max int) error {
	if len(text) > max {
		return &hubtype.FieldError{Field: field, Err: hubtype.ErrTooLarge,
			Message: fmt.Sprintf("%s is %d bytes, larger than the limit of %d bytes (the hub's max-config-size)", field, len(text), max)}
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return hubtype.Fieldf(field, "%s is not valid JSON at byte %d: %v", field, se.Offset, err)
		}
		return hubtype.Fieldf(field, "%s is not valid JSON: %v", field, err)
	}
	if _, ok := v.(map[string]any); !ok {
		return hubtype.Fieldf(field, "%s must be a JSON object, got %s", field, jsonKind(v))
	}
	return nil
}

// jsonKind names the kind of a decoded JSON value.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// configOrEmpty returns "{}" for a blank config.
func configOrEmpty(c string) string {
	if strings.TrimSpace(c) == "" {
		return "{}"
	}
	return c
}

// normalConnector lowercases and trims a connector name.
func normalConnector(c hubtype.Connector) hubtype.Connector {
	return hubtype.Connector(strings.ToLower(strings.TrimSpace(string(c))))
}

// writeError is the error of a failed insert or update (op) of p:
// ErrConflict when another plugin has its name.
func writeError(op string, p *hubtype.Plugin, err error) error {
	if errors.Is(err, hubtype.ErrConflict) {
		return hubtype.Conflictf("a plugin named %q already exists", p.Name)
	}
	return fmt.Errorf("%s plugin: %w", op, err)
}
