package runs_test

import (
	"context"
	"errors"
	"io"

	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
)

// fileStorage is a Storage with no files, for tests that never reach an
// upload (the hub's own adapter over hub/blob is tested through the hub).
type fileStorage struct{}

func (fileStorage) Locate(context.Context, *store.Run, string) (*runs.Object, error) {
	return nil, errors.New("no files")
}

func (fileStorage) Open(context.Context, *runs.Object) (io.ReadCloser, error) {
	return nil, errors.New("no files")
}
