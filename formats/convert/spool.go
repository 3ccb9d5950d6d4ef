package convert

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// Spool is a temporary file for a secondary stream of output (zip archives
// allow one open entry at a time): write to it while the main entry is
// written, then copy it into its own place. Close removes it.
type Spool struct {
	*bufio.Writer
	f *os.File
}

// NewSpool creates a spool file in dir ("" means os.TempDir()).
func NewSpool(dir string) (*Spool, error) {
	f, err := os.CreateTemp(dir, "exporthub-spool-*")
	if err != nil {
		return nil, fmt.Errorf("create spool file: %w", err)
	}
	return &Spool{Writer: bufio.NewWriterSize(f, 64<<10), f: f}, nil
}

// CopyTo flushes the spool and copies everything written so far to w.
func (s *Spool) CopyTo(w io.Writer) error {
	if err := s.Flush(); err != nil {
		return fmt.Errorf("flush spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind spool: %w", err)
	}
	if _, err := io.Copy(w, s.f); err != nil {
		return fmt.Errorf("copy spool: %w", err)
	}
	return nil
}

// Close closes and removes the spool file. It is safe to call more than
// once and on a nil Spool.
func (s *Spool) Close() error {
	if s == nil || s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	s.f = nil
	if rerr := os.Remove(name); rerr != nil && err == nil {
		err = fmt.Errorf("remove spool file: %w", rerr)
	}
	return err
}
