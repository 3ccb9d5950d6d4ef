package runs_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/runs"
)

func TestExportFileName(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 14, 15, 9, 26, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		name                          string
		project, config, plugin, want string
	}{
		{"FormatFromConfig", "Street scenes", `{"format":"yolo"}`, "Formats", "Street_scenes-yolo-20260314T140926Z.zip"},
		{"PluginWithoutFormat", "Street scenes", `{"scale":2}`, "Bounding boxes", "Street_scenes-Bounding_boxes-20260314T140926Z.zip"},
		{"FormatNotAString", "p", `{"format":3}`, "bboxes", "p-bboxes-20260314T140926Z.zip"},
		{"BadConfig", "p", `not json`, "bboxes", "p-bboxes-20260314T140926Z.zip"},
		{"SlashesAndDots", "../../etc/passwd", `{"format":"a/b"}`, "x", "etc_passwd-a_b-20260314T140926Z.zip"},
		{"NonASCII", "Straßen & Wege", `{}`, "Grüße", "Stra_en_Wege-Gr_e-20260314T140926Z.zip"},
		{"NothingUsable", "äöü", `{}`, "***", "0123abcd-plug1-20260314T140926Z.zip"},
		{"Long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", `{}`, "p", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-p-20260314T140926Z.zip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, runs.ExportFileName(tc.project, "0123abcd", tc.config, tc.plugin, "plug1", at))
		})
	}
}
