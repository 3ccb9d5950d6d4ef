package plugin

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/exporthub/exporthub/internal/deflate"
	"github.com/exporthub/exporthub/internal/zipstream"
)

// Zip builds a zip archive in a temporary file while the callback converts,
// so the result never has to fit in memory. Create entries with
// [Zip.Create], then return [Zip.Response] from the callback; defer
// [Zip.Close] so the temporary file goes away if the callback fails.
//
// Memory does not grow with the number of entries: the central directory
// is spooled to a second temporary file until [Zip.Response] (a million
// entries cost disk, not RAM), and zip64 records are written when the
// archive needs them (more than 65535 entries or 4 GiB).
//
// A Zip is not safe for concurrent use.
type Zip struct {
	name string
	f    *os.File
	zw   *zipstream.Writer
	done bool
}

// zipLevel is the deflate level of Zip entries: archive/zip's, which the
// SDK used before; faster than flate's default level 6 for files about 2%
// larger. The entries are deflated by internal/deflate (klauspost's flate,
// two to three times faster than compress/flate at this level).
const zipLevel = 5

// NewZip starts a zip that will be uploaded as fileName, in a temporary file
// of the system's temp directory. In a callback prefer [Request.NewZip],
// which uses the run's temp directory.
func NewZip(fileName string) (*Zip, error) {
	return newZip("", fileName)
}

// NewZip starts a zip that will be uploaded as fileName (default
// "<projectId>.zip"), in the run's temp directory.
func (r *Request) NewZip(fileName string) (*Zip, error) {
	if fileName == "" {
		fileName = r.ProjectID + ".zip"
	}
	dir := ""
	if r.run != nil {
		dir = r.run.dir
	}
	return newZip(dir, fileName)
}

func newZip(dir, fileName string) (*Zip, error) {
	if fileName == "" {
		return nil, fmt.Errorf("%w: zip file name is empty", ErrInvalidOption)
	}
	f, err := os.CreateTemp(dir, "result-*.zip")
	if err != nil {
		return nil, fmt.Errorf("create zip: %w", err)
	}
	zw := zipstream.NewWriter(f, zipstream.Options{Level: zipLevel, TempDir: dir, NewCompressor: deflate.NewCompressor})
	return &Zip{name: fileName, f: f, zw: zw}, nil
}

// Create adds an entry (deflate-compressed) and returns the writer for its
// content, valid until the next Create or Response call. The name is a
// relative slash-separated path in UTF-8 (an empty, absolute or non-UTF-8
// name is an error); a name ending in "/" adds an empty directory entry.
// Names are not checked for duplicates.
func (z *Zip) Create(name string) (io.Writer, error) {
	if z.done {
		return nil, fmt.Errorf("create zip entry %q: zip already finished", name)
	}
	w, err := z.zw.Create(name)
	if err != nil {
		return nil, fmt.Errorf("create zip entry %q: %w", name, err)
	}
	return w, nil
}

// Response finishes the zip and returns it as the callback's response. The
// returned File is the temporary file, removed when the SDK closes it after
// the upload.
func (z *Zip) Response() (*Response, error) {
	if z.done {
		return nil, errors.New("finish zip: zip already finished")
	}
	z.done = true
	if err := z.zw.Close(); err != nil {
		z.discard()
		return nil, fmt.Errorf("finish zip: %w", err)
	}
	if _, err := z.f.Seek(0, io.SeekStart); err != nil {
		z.discard()
		return nil, fmt.Errorf("finish zip: %w", err)
	}
	return &Response{File: &tempFile{File: z.f}, FileName: z.name}, nil
}

// Close discards an unfinished zip and removes its temporary file. After
// [Zip.Response] it does nothing: the file then belongs to the response.
// Close is idempotent and returns nil.
func (z *Zip) Close() error {
	if z.done {
		return nil
	}
	z.done = true
	z.discard()
	return nil
}

func (z *Zip) discard() {
	z.zw.Abort()              // removes the central directory spool
	_ = z.f.Close()           // the file is being thrown away
	_ = os.Remove(z.f.Name()) // best effort: the run's temp dir is removed too
}

// tempFile is a temporary file that removes itself when closed.
type tempFile struct {
	*os.File
	once sync.Once
}

// Close closes and removes the file.
func (t *tempFile) Close() error {
	var err error
	t.once.Do(func() {
		err = t.File.Close()
		if rerr := os.Remove(t.File.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
	})
	return err
}
