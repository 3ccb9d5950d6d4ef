package hub

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/exporthub/exporthub/internal/secretbox"
)

// loadHubKey returns the configured hub key, or the key in
// DataDir/HubKeyFile, creating that file with a new random key (mode
// 0600) when it does not exist.
func loadHubKey(cfg *Config) ([]byte, error) {
	if cfg.HubKey != "" {
		return decodeHubKey(cfg.HubKey)
	}
	path := filepath.Join(cfg.DataDir, HubKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := decodeHubKey(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("read hub key file %s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read hub key file: %w", err)
	}
	key := secretbox.NewKey()
	if err := writeFileAtomic(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("create hub key file: %w", err)
	}
	// Another process may have created the file at the same moment: the
	// file on disk wins.
	b, err = os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read hub key file: %w", err)
	}
	return decodeHubKey(strings.TrimSpace(string(b)))
}

// writeFileAtomic writes data to a temporary file beside path and links
// it into place, so path is either absent or complete; an existing path
// is left alone.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("chmod temp file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write temp file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close temp file: %w", err)
	}
	// os.Link fails when path exists, so a concurrent creator's key is
	// never replaced.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("link %s: %w", path, err)
	}
	return nil
}
