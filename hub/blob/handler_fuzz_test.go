package blob_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/internal/secretbox"
)

// FuzzHandler_PresignedQuery sends requests with arbitrary paths and
// queries to the hub's presigned-URL handler, which answers without
// authentication: nothing but the exact signed query of an object is
// accepted, and no input makes it fail with a 5xx.
func FuzzHandler_PresignedQuery(f *testing.F) {
	ctx := context.Background()
	svc, err := blob.Open(ctx, &blob.Config{BucketURL: "mem://", PublicURL: "http://hub.example", SigningKey: secretbox.NewKey()})
	require.NoError(f, err)
	f.Cleanup(func() { _ = svc.Close() })
	res, err := svc.UploadURL(ctx, &blob.UploadURLParams{OrgID: "o1", ProjectID: "p1", Type: blob.TypeExports, Name: "a.zip", RunID: "r1"})
	require.NoError(f, err)
	signed, err := url.Parse(res.URL)
	require.NoError(f, err)
	_, err = svc.Hub().Write(ctx, res.Key.String(), strings.NewReader("PK"))
	require.NoError(f, err)
	path := signed.Path
	f.Add("PUT", path, signed.RawQuery)
	f.Add("GET", path, signed.RawQuery)
	f.Add("PUT", path, strings.Replace(signed.RawQuery, "run=r1", "run=r2", 1))
	f.Add("GET", path, "method=GET&expires=99999999999&sig=AAAA")
	f.Add("PUT", "/blob/orgs/o1/projects/p1/exports/2025/../../x", signed.RawQuery)
	f.Add("HEAD", path, "method=GET&method=PUT&expires=-1&sig=%zz")
	f.Fuzz(func(t *testing.T, method, p, query string) {
		switch method {
		case http.MethodGet, http.MethodPut, http.MethodHead, http.MethodDelete:
		default:
			return
		}
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " \t\r\n?#") {
			return
		}
		req := httptest.NewRequest(method, "http://hub.example"+p+"?"+url.PathEscape(query), strings.NewReader("x"))
		req.URL.RawQuery = query
		w := httptest.NewRecorder()
		svc.Handler().ServeHTTP(w, req)
		require.Less(t, w.Code, 500, "%s %s?%s: %s", method, p, query, w.Body.String())
		if w.Code < 300 {
			require.Equal(t, path, req.URL.Path, "only the signed object is served")
			require.NotEqual(t, http.MethodPut, method, "the object exists: a PUT never overwrites it")
		}
	})
}
