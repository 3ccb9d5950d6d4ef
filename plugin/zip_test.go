package plugin_test

import (
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

func TestZip(t *testing.T) {
	t.Parallel()

	t.Run("ResponseOwnsTheFile", func(t *testing.T) {
		t.Parallel()
		z, err := plugin.NewZip("r.zip")
		require.NoError(t, err)
		w, err := z.Create("a/b.json")
		require.NoError(t, err)
		_, err = io.WriteString(w, `{"ok":true}`)
		require.NoError(t, err)
		resp, err := z.Response()
		require.NoError(t, err)
		require.NoError(t, z.Close(), "Close after Response does nothing")
		f := resp.File.(interface{ Name() string })
		data, err := io.ReadAll(resp.File)
		require.NoError(t, err)
		require.Equal(t, map[string][]byte{"a/b.json": []byte(`{"ok":true}`)}, plugintest.ZipEntries(t, data))
		require.NoError(t, resp.File.(io.Closer).Close())
		_, err = os.Stat(f.Name())
		require.ErrorIs(t, err, os.ErrNotExist, "closing the response removes the temp file")
	})

	t.Run("CloseDiscards", func(t *testing.T) {
		t.Parallel()
		z, err := plugin.NewZip("r.zip")
		require.NoError(t, err)
		_, err = z.Create("x")
		require.NoError(t, err)
		require.NoError(t, z.Close())
		require.NoError(t, z.Close())
		_, err = z.Response()
		require.EqualError(t, err, "finish zip: zip already finished")
		_, err = z.Create("y")
		require.EqualError(t, err, `create zip entry "y": zip already finished`)
	})

	t.Run("EmptyName", func(t *testing.T) {
		t.Parallel()
		_, err := plugin.NewZip("")
		require.ErrorIs(t, err, plugin.ErrInvalidOption)
	})
}
