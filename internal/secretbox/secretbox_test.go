package secretbox_test

import (
	"bytes"
	"testing"

	"github.com/exporthub/exporthub/internal/secretbox"
	"github.com/stretchr/testify/require"
)

func TestBox_SealOpen(t *testing.T) {
	t.Parallel()

	box, err := secretbox.New(secretbox.NewKey())
	require.NoError(t, err)

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		sealed := box.Seal([]byte("s3-secret-key"))
		require.False(t, bytes.Contains(sealed, []byte("s3-secret-key")), "sealed value must not contain the plaintext")
		got, err := box.Open(sealed)
		require.NoError(t, err)
		require.Equal(t, "s3-secret-key", string(got))
	})

	t.Run("NonceDiffers", func(t *testing.T) {
		t.Parallel()
		require.NotEqual(t, box.Seal([]byte("x")), box.Seal([]byte("x")), "two seals of one value must differ")
	})

	t.Run("WrongKey", func(t *testing.T) {
		t.Parallel()
		other, err := secretbox.New(secretbox.NewKey())
		require.NoError(t, err)
		_, err = other.Open(box.Seal([]byte("x")))
		require.ErrorIs(t, err, secretbox.ErrDecrypt)
	})

	t.Run("Tampered", func(t *testing.T) {
		t.Parallel()
		sealed := box.Seal([]byte("value"))
		sealed[len(sealed)-1] ^= 1
		_, err := box.Open(sealed)
		require.ErrorIs(t, err, secretbox.ErrDecrypt)
		_, err = box.Open([]byte("short"))
		require.ErrorIs(t, err, secretbox.ErrDecrypt)
	})
}

func TestNew_BadKey(t *testing.T) {
	t.Parallel()
	_, err := secretbox.New([]byte("short"))
	require.ErrorContains(t, err, "key must be 32 bytes, got 5")
}
