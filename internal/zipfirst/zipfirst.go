// Package zipfirst reads the first file of a zip archive that arrives as
// a stream, as Ango's Export button hands out exports: a .zip whose first
// entry is the JSON (or NDJSON) file.
//
// [Open] looks at the first bytes of its input. Input that does not start
// like a zip is returned as it is, so callers take a bare file and a zip
// alike. A zip's central directory sits at its end, so a zip that cannot
// be read at random (an HTTP request body) is first copied to a temporary
// file, deleted on Close; a file (an io.ReaderAt and io.Seeker such as an
// *os.File, opened at its start) is read in place. The entry is then
// decompressed as it is read: nothing is held in memory beyond the zip's
// directory.
//
// The package depends on the standard library only.
package zipfirst

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// localHeader is how a zip's first local file header starts.
var localHeader = []byte("PK\x03\x04")

// emptyZip is how an empty zip (its end of central directory record
// only) starts.
var emptyZip = []byte("PK\x05\x06")

// ErrNoFile is returned when a zip holds no file (only directories, or
// nothing).
var ErrNoFile = errors.New("zipfirst: the zip holds no file")

// ErrTooLarge is returned by an entry's Read when it would give more than
// Options.MaxSize bytes, and by Open for a zip longer than
// Options.MaxZipSize.
var ErrTooLarge = errors.New("zipfirst: the zip's file is larger than the limit")

// FormatError is a zip that cannot be read (damaged, cut, an unsupported
// compression method).
type FormatError struct {
	Err error
}

// Error says the zip cannot be read, and why.
func (e *FormatError) Error() string { return "zipfirst: the zip cannot be read: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FormatError) Unwrap() error { return e.Err }

// Options configure [Open]. The zero value means all defaults.
type Options struct {
	// TempDir is where a zip read from a stream is copied. Defaults to
	// os.TempDir().
	TempDir string
	// MaxSize bounds the uncompressed size of the file read, in bytes; 0
	// means no bound.
	MaxSize int64
	// MaxZipSize bounds the zip, in bytes; 0 means no bound.
	MaxZipSize int64
}

// File is the content Open found: a zip's first file, or the input
// itself.
type File struct {
	io.Reader
	// Zip is true when the input was a zip.
	Zip bool
	// Name is the zip entry's name; "" when the input was not a zip.
	Name string
	// Size is the entry's uncompressed size as the zip states it; -1 when
	// the input was not a zip.
	Size    int64
	cleanup func() error
}

// Close releases the temporary copy of the zip, if any. A second call
// returns nil.
func (f *File) Close() error {
	if f.cleanup == nil {
		return nil
	}
	err := f.cleanup()
	f.cleanup = nil
	return err
}

// readerAtSeeker is an input read in place (an *os.File).
type readerAtSeeker interface {
	io.ReaderAt
	io.Seeker
}

// Open returns the first file of the zip r holds or, when r does not
// start like a zip, r itself. The first file is the first entry of the
// zip's directory that is not a directory (nor macOS's __MACOSX/ extras).
// Errors: ErrNoFile, a *FormatError, or r's own read error (an HTTP
// body's *http.MaxBytesError, for one). Close the File when done.
func Open(r io.Reader, opts *Options) (*File, error) {
	if opts == nil {
		opts = &Options{}
	}
	br := bufio.NewReaderSize(r, 4096)
	head, err := br.Peek(len(localHeader))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if !bytes.Equal(head, localHeader) && !bytes.Equal(head, emptyZip) {
		return &File{Reader: br, Size: -1}, nil
	}
	f := &File{Zip: true}
	var (
		at   io.ReaderAt
		size int64
	)
	if ras, ok := r.(readerAtSeeker); ok {
		// A file, read in place from its start (ReadAt does not depend on
		// what Peek read).
		if size, err = ras.Seek(0, io.SeekEnd); err != nil {
			return nil, fmt.Errorf("zipfirst: size the zip: %w", err)
		}
		if opts.MaxZipSize > 0 && size > opts.MaxZipSize {
			return nil, fmt.Errorf("%w: the zip is more than %d bytes", ErrTooLarge, opts.MaxZipSize)
		}
		at = ras
	} else {
		tmp, err := os.CreateTemp(opts.TempDir, "zipfirst-*.zip")
		if err != nil {
			return nil, fmt.Errorf("zipfirst: spool the zip: %w", err)
		}
		f.cleanup = func() error {
			tmp.Close()
			return os.Remove(tmp.Name())
		}
		src := io.Reader(br)
		if opts.MaxZipSize > 0 {
			src = io.LimitReader(br, opts.MaxZipSize+1)
		}
		if size, err = io.Copy(tmp, src); err != nil {
			f.Close()
			return nil, err
		}
		if opts.MaxZipSize > 0 && size > opts.MaxZipSize {
			f.Close()
			return nil, fmt.Errorf("%w: the zip is more than %d bytes", ErrTooLarge, opts.MaxZipSize)
		}
		at = tmp
	}
	zr, err := zip.NewReader(at, size)
	if err != nil {
		f.Close()
		return nil, &FormatError{Err: err}
	}
	var entry *zip.File
	for _, zf := range zr.File {
		if !zf.FileInfo().IsDir() && !strings.HasPrefix(zf.Name, "__MACOSX/") {
			entry = zf
			break
		}
	}
	if entry == nil {
		f.Close()
		return nil, ErrNoFile
	}
	rc, err := entry.Open()
	if err != nil {
		f.Close()
		return nil, &FormatError{Err: fmt.Errorf("open %s: %w", entry.Name, err)}
	}
	spool := f.cleanup
	f.cleanup = func() error {
		rc.Close()
		if spool != nil {
			return spool()
		}
		return nil
	}
	f.Name, f.Size = entry.Name, int64(entry.UncompressedSize64)
	f.Reader = &entryReader{r: rc, name: entry.Name, max: opts.MaxSize}
	return f, nil
}

// entryReader reads a zip entry, bounded and with its errors explained.
type entryReader struct {
	r    io.Reader
	name string
	max  int64
	n    int64
}

func (e *entryReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.n += int64(n)
	if e.max > 0 && e.n > e.max {
		return n, fmt.Errorf("%w: %s holds more than %d bytes", ErrTooLarge, e.name, e.max)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, &FormatError{Err: fmt.Errorf("read %s: %w", e.name, err)}
	}
	return n, err
}
