package hub_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/blob/blobtest"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
)

func TestSnapshots_DeletedWhenTheirRunEnds(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		s3 := blobtest.StartS3(t)
		bucket := s3.CreateBucket(t)
		rb := setupRuns(t, b, func(c *hub.Config) {
			c.BlobURL = "s3://" + bucket + "?endpoint=" + url.QueryEscape(s3.Endpoint) + "&region=" + blobtest.S3Region + "&use_path_style=true"
			c.BlobAccessKeyID, c.BlobSecretAccessKey = s3.AccessKey, s3.SecretKey
		})
		exportsOf := func() (snapshots, uploads []string) {
			for _, k := range s3.ObjectKeys(t, bucket) {
				if strings.HasSuffix(k, "/result.zip") {
					uploads = append(uploads, k)
				} else if strings.Contains(k, "/exports/") {
					snapshots = append(snapshots, k)
				}
			}
			return snapshots, uploads
		}

		// An API client's export (no run): kept while its presigned URL
		// works (an hour).
		var res struct {
			Data hubapi.V2ExportResponse `json:"data"`
		}
		rb.h.JSON(t, http.MethodGet, "/v2/export?project="+rb.project.ID, rb.h.AdminKey, nil, http.StatusOK, &res)
		kept, _ := exportsOf()
		require.Len(t, kept, 1)

		// Three runs, each downloading a snapshot of the project.
		p := rb.plugin(t, nil)
		rb.connect(t, p, runstest.Options{})
		for range 3 {
			run := rb.start(t, p.ID, nil)
			ended := rb.waitEnd(t, run.ID)
			require.Equal(t, string(store.RunSucceeded), ended.Status, ended.Message)
		}
		// Once the runs ended, their snapshots are gone; the API client's
		// stays, and the plugins' files, recorded as exports, too.
		waittest.For(t, "the runs' snapshots deleted", func() bool {
			snaps, _ := exportsOf()
			return len(snaps) == 1
		})
		snaps, _ := exportsOf()
		require.Equal(t, kept, snaps)
		_, uploads := exportsOf()
		require.Len(t, uploads, 3)
	})
}
