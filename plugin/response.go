package plugin

import (
	"io"
	"io/fs"
)

// Response is what a callback returns: the file to upload and where.
//
// The SDK streams File to the hub's storage (with its length when File is
// an *os.File, a *bytes.Reader, a *bytes.Buffer, a *strings.Reader or
// anything with a Len method; otherwise it first spools File to a temporary
// file, never to memory) and closes File afterwards if it is an io.Closer.
type Response struct {
	// File is the content to upload, usually a zip. Required.
	File io.Reader
	// FileName is the name of the uploaded file. Defaults to
	// "<projectId>.zip".
	FileName string
	// StorageID sends the file to that organization storage instead of the
	// hub's own ("storage_id" of the Python SDK). Empty means the hub's.
	StorageID string
	// Bucket names the bucket of that storage when it has several. Empty
	// means the storage's default.
	Bucket string
}

// lenReader is implemented by *bytes.Reader, *bytes.Buffer and
// *strings.Reader.
type lenReader interface{ Len() int }

// statSeeker is implemented by *os.File.
type statSeeker interface {
	Stat() (fs.FileInfo, error)
	io.Seeker
}

// readerSize returns how many bytes r will yield when that is known without
// reading it.
func readerSize(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case lenReader:
		return int64(v.Len()), true
	case statSeeker:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil || pos > fi.Size() {
			return 0, false
		}
		return fi.Size() - pos, true
	}
	return 0, false
}
