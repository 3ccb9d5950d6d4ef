package hubclient

import (
	"context"
	"errors"
	"net/http"

	"github.com/exporthub/exporthub/hub/hubapi"
)

// errNoPlugin is returned when a call needs a plugin id.
var errNoPlugin = errors.New("hubclient: plugin id is required")

// CreatePlugin creates an export plugin; the answer holds its secret,
// shown this once.
func (c *Client) CreatePlugin(ctx context.Context, req *hubapi.PluginCreateRequest) (*hubapi.PluginSecretResponse, error) {
	return call[hubapi.PluginSecretResponse](ctx, c, http.MethodPost, "/api/plugins", req)
}

// ListPlugins lists the organization's plugins, by name, with their
// connected instances.
func (c *Client) ListPlugins(ctx context.Context) ([]*hubapi.PluginResponse, error) {
	out, err := call[hubapi.PluginListResponse](ctx, c, http.MethodGet, "/api/plugins", nil)
	if err != nil {
		return nil, err
	}
	return out.Plugins, nil
}

// GetPlugin returns a plugin with its connected instances.
func (c *Client) GetPlugin(ctx context.Context, id string) (*hubapi.PluginResponse, error) {
	if id == "" {
		return nil, errNoPlugin
	}
	return call[hubapi.PluginResponse](ctx, c, http.MethodGet, "/api/plugins/"+pathEscape(id), nil)
}

// UpdatePlugin changes the fields of req that are set.
func (c *Client) UpdatePlugin(ctx context.Context, id string, req *hubapi.PluginUpdateRequest) (*hubapi.PluginResponse, error) {
	if id == "" {
		return nil, errNoPlugin
	}
	return call[hubapi.PluginResponse](ctx, c, http.MethodPatch, "/api/plugins/"+pathEscape(id), req)
}

// DeletePlugin deletes a plugin; its connected instances are
// disconnected.
func (c *Client) DeletePlugin(ctx context.Context, id string) error {
	if id == "" {
		return errNoPlugin
	}
	return c.DoJSON(ctx, http.MethodDelete, "/api/plugins/"+pathEscape(id), nil, nil)
}

// RotatePluginSecret gives a plugin a new secret and returns it;
// instances connected with the old one are disconnected.
func (c *Client) RotatePluginSecret(ctx context.Context, id string) (*hubapi.PluginSecretResponse, error) {
	if id == "" {
		return nil, errNoPlugin
	}
	return call[hubapi.PluginSecretResponse](ctx, c, http.MethodPost, "/api/plugins/"+pathEscape(id)+"/rotate-secret", nil)
}

// RevealPluginSecret returns a plugin's current secret once; ErrConflict
// when it was shown already.
func (c *Client) RevealPluginSecret(ctx context.Context, id string) (*hubapi.PluginSecretResponse, error) {
	if id == "" {
		return nil, errNoPlugin
	}
	return call[hubapi.PluginSecretResponse](ctx, c, http.MethodPost, "/api/plugins/"+pathEscape(id)+"/reveal-secret", nil)
}

// EnablePlugin enables a plugin on a project (idempotent).
func (c *Client) EnablePlugin(ctx context.Context, projectID, pluginID string) error {
	return c.projectPlugin(ctx, http.MethodPost, projectID, pluginID)
}

// DisablePlugin disables a plugin on a project; ErrNotFound when it was
// not enabled.
func (c *Client) DisablePlugin(ctx context.Context, projectID, pluginID string) error {
	return c.projectPlugin(ctx, http.MethodDelete, projectID, pluginID)
}

// projectPlugin sends method (POST enables, DELETE disables) for a plugin
// on a project.
func (c *Client) projectPlugin(ctx context.Context, method, projectID, pluginID string) error {
	if projectID == "" {
		return errNoProject
	}
	if pluginID == "" {
		return errNoPlugin
	}
	return c.DoJSON(ctx, method, "/api/projects/"+pathEscape(projectID)+"/plugins/"+pathEscape(pluginID), nil, nil)
}

// ListProjectPlugins lists the plugins enabled on a project.
func (c *Client) ListProjectPlugins(ctx context.Context, projectID string) ([]*hubapi.PluginResponse, error) {
	if projectID == "" {
		return nil, errNoProject
	}
	out, err := call[hubapi.PluginListResponse](ctx, c, http.MethodGet, "/api/projects/"+pathEscape(projectID)+"/plugins", nil)
	if err != nil {
		return nil, err
	}
	return out.Plugins, nil
}
