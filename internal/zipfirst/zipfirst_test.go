package zipfirst_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/zipfirst"
)

// entry is a file or directory of a test zip.
type entry struct {
	name, content string
	store         bool
}

func makeZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Deflate
		if e.store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		require.NoError(t, err)
		_, err = io.WriteString(w, e.content)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// stream hides a reader's ReaderAt and Seeker, as an HTTP body does.
type stream struct{ r io.Reader }

func (s stream) Read(p []byte) (int, error) { return s.r.Read(p) }

func TestOpen(t *testing.T) {
	t.Parallel()
	export := `[{"externalId":"a.jpg"}]`
	tests := []struct {
		name    string
		input   []byte
		opts    zipfirst.Options
		zip     bool
		entry   string
		want    string
		openErr error
		readErr error
	}{
		{"BareJSON", []byte(export), zipfirst.Options{}, false, "", export, nil, nil},
		{"BareNDJSON", []byte("{\"a\":1}\n{\"a\":2}\n"), zipfirst.Options{}, false, "", "{\"a\":1}\n{\"a\":2}\n", nil, nil},
		{"Empty", nil, zipfirst.Options{}, false, "", "", nil, nil},
		{"ShortText", []byte("P"), zipfirst.Options{}, false, "", "P", nil, nil},
		{"Deflated", makeZip(t, entry{name: "project.json", content: export}), zipfirst.Options{}, true, "project.json", export, nil, nil},
		{"Stored", makeZip(t, entry{name: "project.ndjson", content: "{}\n", store: true}), zipfirst.Options{}, true, "project.ndjson", "{}\n", nil, nil},
		{"FirstOfTwo", makeZip(t, entry{name: "a.json", content: "[1]"}, entry{name: "b.json", content: "[2]"}), zipfirst.Options{}, true, "a.json", "[1]", nil, nil},
		{"SkipsDirsAndMacExtras", makeZip(t, entry{name: "export/"}, entry{name: "__MACOSX/._a.json", content: "x"},
			entry{name: "export/a.json", content: "[3]"}), zipfirst.Options{}, true, "export/a.json", "[3]", nil, nil},
		{"NoFile", makeZip(t, entry{name: "dir/"}), zipfirst.Options{}, true, "", "", zipfirst.ErrNoFile, nil},
		{"NoEntries", makeZip(t), zipfirst.Options{}, true, "", "", zipfirst.ErrNoFile, nil},
		{"EntryTooLarge", makeZip(t, entry{name: "a.json", content: export}), zipfirst.Options{MaxSize: 10}, true, "a.json", "", nil, zipfirst.ErrTooLarge},
		{"ZipTooLarge", makeZip(t, entry{name: "a.json", content: export}), zipfirst.Options{MaxZipSize: 20}, true, "", "", zipfirst.ErrTooLarge, nil},
	}
	for _, tt := range tests {
		for _, src := range []string{"Stream", "File"} {
			t.Run(tt.name+src, func(t *testing.T) {
				t.Parallel()
				tmp := t.TempDir()
				opts := tt.opts
				opts.TempDir = tmp
				var in io.Reader = stream{bytes.NewReader(tt.input)}
				if src == "File" {
					path := filepath.Join(t.TempDir(), "in")
					require.NoError(t, os.WriteFile(path, tt.input, 0o600))
					f, err := os.Open(path)
					require.NoError(t, err)
					defer f.Close()
					in = f
				}
				f, err := zipfirst.Open(in, &opts)
				if tt.openErr != nil {
					require.ErrorIs(t, err, tt.openErr)
					left, _ := os.ReadDir(tmp)
					require.Empty(t, left, "a failed Open leaves no temporary file")
					return
				}
				require.NoError(t, err)
				require.Equal(t, tt.zip, f.Zip)
				require.Equal(t, tt.entry, f.Name)
				got, err := io.ReadAll(f)
				if tt.readErr != nil {
					require.ErrorIs(t, err, tt.readErr)
				} else {
					require.NoError(t, err)
					require.Equal(t, tt.want, string(got))
				}
				spooled, _ := os.ReadDir(tmp)
				require.Equal(t, tt.zip && src == "Stream", len(spooled) == 1, "only a zip stream is copied to a temporary file")
				require.NoError(t, f.Close())
				require.NoError(t, f.Close(), "a second Close returns nil")
				left, _ := os.ReadDir(tmp)
				require.Empty(t, left, "Close removes the temporary copy")
			})
		}
	}
}

func TestOpen_Damaged(t *testing.T) {
	t.Parallel()
	good := makeZip(t, entry{name: "a.json", content: `[{"externalId":"a.jpg"}]`})
	// Cut before the central directory: not readable as a zip.
	_, err := zipfirst.Open(stream{bytes.NewReader(good[:len(good)/2])}, &zipfirst.Options{TempDir: t.TempDir()})
	var fe *zipfirst.FormatError
	require.ErrorAs(t, err, &fe)
	require.Contains(t, err.Error(), "the zip cannot be read")

	// A damaged deflate stream: readable directory, unreadable data.
	bad := bytes.Clone(good)
	copy(bad[34:44], bytes.Repeat([]byte{0xff}, 10))
	f, err := zipfirst.Open(stream{bytes.NewReader(bad)}, &zipfirst.Options{TempDir: t.TempDir()})
	require.NoError(t, err)
	defer f.Close()
	_, err = io.ReadAll(f)
	require.ErrorAs(t, err, &fe)

	// The input's own error passes unchanged.
	boom := errors.New("boom")
	_, err = zipfirst.Open(io.MultiReader(bytes.NewReader(good[:10]), errReader{boom}), &zipfirst.Options{TempDir: t.TempDir()})
	require.ErrorIs(t, err, boom)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// FuzzOpen checks that no input makes Open or the read panic, and that a
// zip is read only when the input starts like one.
func FuzzOpen(f *testing.F) {
	f.Add([]byte(`[{"externalId":"a"}]`))
	f.Add(makeZip(f, entry{name: "a.json", content: "[]"}))
	f.Add([]byte("PK\x03\x04garbage"))
	f.Add([]byte("PK\x05\x06"))
	f.Fuzz(func(t *testing.T, in []byte) {
		file, err := zipfirst.Open(stream{bytes.NewReader(in)}, &zipfirst.Options{TempDir: t.TempDir(), MaxSize: 1 << 20})
		if err != nil {
			return
		}
		defer file.Close()
		got, err := io.ReadAll(file)
		if !file.Zip {
			require.NoError(t, err)
			require.Equal(t, in, got, "non-zip input passes unchanged")
		}
	})
}
