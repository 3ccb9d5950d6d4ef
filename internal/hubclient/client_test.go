package hubclient_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/internal/hubclient"
)

const oneAsset = `{"asset":"https://x.test/a.png","externalId":"a","batches":["b1"],"task":{"taskId":"t","stage":"Label","stageId":"Label","tools":[],"classifications":[],"relations":[]}}` + "\n"

func TestClient_Projects(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	ctx := context.Background()
	c := hubclient.New(h.URL, h.AdminKey)

	require.NoError(t, c.Health(ctx))
	me, err := c.Me(ctx)
	require.NoError(t, err)
	require.Equal(t, h.AdminID, me.User.ID)

	p, err := c.CreateProject(ctx, &hubapi.ProjectCreateRequest{Name: "p"})
	require.NoError(t, err)
	res, err := c.Import(ctx, &hubclient.ImportParams{ProjectID: p.ID, Body: strings.NewReader(oneAsset)})
	require.NoError(t, err)
	require.Equal(t, 1, res.Imported)

	_, err = c.Import(ctx, &hubclient.ImportParams{ProjectID: p.ID, Body: strings.NewReader(`{"externalId":"x","task":5}` + "\n")})
	require.ErrorIs(t, err, hubclient.ErrInvalidAAF)
	var ae *hubclient.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusBadRequest, ae.StatusCode)
	require.Contains(t, string(ae.Errors), `"index":0`)
	require.False(t, ae.Truncated, "one problem, all listed")

	_, err = c.Import(ctx, &hubclient.ImportParams{ProjectID: p.ID, Body: strings.NewReader(oneAsset)})
	require.ErrorIs(t, err, hubclient.ErrConflict)

	stream, err := c.Export(ctx, &hubclient.ExportParams{ProjectID: p.ID, Stage: "Label", Batches: []string{"b1"}})
	require.NoError(t, err)
	body, err := io.ReadAll(stream)
	require.NoError(t, err)
	require.NoError(t, stream.Close())
	require.Equal(t, oneAsset, string(body))
	require.EqualValues(t, 1, stream.Total)

	_, err = c.GetProject(ctx, "nope")
	require.ErrorIs(t, err, hubclient.ErrNotFound)
	require.False(t, errors.Is(err, hubclient.ErrConflict))

	bad := hubclient.New(h.URL, "ehk_wrong")
	_, err = bad.ListProjects(ctx)
	require.ErrorIs(t, err, hubclient.ErrUnauthorized)
	require.Equal(t, "invalid API key", err.Error())
}

func TestClient_NonJSONError(t *testing.T) {
	t.Parallel()
	// A proxy in front of the hub may answer with plain text: the client
	// still reports the status and the text.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := hubclient.New(srv.URL, "k").ListProjects(context.Background())
	var ae *hubclient.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusBadGateway, ae.StatusCode)
	require.Equal(t, "hub answered 502: upstream down", ae.Message)
}
