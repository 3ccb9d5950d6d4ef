package formatstest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/formats/formatstest"
)

func TestValidateCOCO(t *testing.T) {
	t.Parallel()
	const valid = `{"images":[{"id":1,"file_name":"a.jpg","width":10,"height":10}],
		"categories":[{"id":1,"name":"Car","supercategory":""}],
		"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,1,2,2],"area":4,"iscrowd":0,
		"segmentation":[[1,1,3,1,3,3]]},{"id":2,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"area":1,"iscrowd":0,
		"segmentation":{"counts":[0,1,99],"size":[10,10]}}]}`
	require.NoError(t, formatstest.ValidateCOCO([]byte(valid)))

	for _, tc := range []struct {
		name, doc, want string
	}{
		{"NotJSON", `[`, "not a JSON object"},
		{"MissingImages", `{"annotations":[],"categories":[]}`, `missing "images"`},
		{"DuplicateImageID", `{"images":[{"id":1,"file_name":"a","width":1,"height":1},{"id":1,"file_name":"b","width":1,"height":1}],"annotations":[],"categories":[]}`, "duplicate id 1"},
		{"ZeroWidth", `{"images":[{"id":1,"file_name":"a","width":0,"height":1}],"annotations":[],"categories":[]}`, "width and height must be integers above 0"},
		{"UnknownImage", `{"images":[],"categories":[{"id":1,"name":"c","supercategory":""}],"annotations":[{"id":1,"image_id":7,"category_id":1,"bbox":[0,0,1,1],"area":1,"iscrowd":0,"segmentation":[]}]}`, "image_id 7 names no image"},
		{"UnknownCategory", `{"images":[{"id":1,"file_name":"a","width":5,"height":5}],"categories":[],"annotations":[{"id":1,"image_id":1,"category_id":3,"bbox":[0,0,1,1],"area":1,"iscrowd":0,"segmentation":[]}]}`, "category_id 3 names no category"},
		{"NegativeBBox", `{"images":[{"id":1,"file_name":"a","width":5,"height":5}],"categories":[{"id":1,"name":"c","supercategory":""}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,-1,1],"area":1,"iscrowd":0,"segmentation":[]}]}`, "bbox[2] must be a finite number >= 0"},
		{"BBoxOutside", `{"images":[{"id":1,"file_name":"a","width":5,"height":5}],"categories":[{"id":1,"name":"c","supercategory":""}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[4,0,2,1],"area":1,"iscrowd":0,"segmentation":[]}]}`, "leaves the 5x5 image"},
		{"ShortPolygon", `{"images":[{"id":1,"file_name":"a","width":5,"height":5}],"categories":[{"id":1,"name":"c","supercategory":""}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"area":1,"iscrowd":0,"segmentation":[[0,0,1,1]]}]}`, "even list of at least 6 numbers"},
		{"RLEWrongTotal", `{"images":[{"id":1,"file_name":"a","width":5,"height":5}],"categories":[{"id":1,"name":"c","supercategory":""}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"area":1,"iscrowd":0,"segmentation":{"counts":[1,2],"size":[5,5]}}]}`, "cover 3 pixels, want 25"},
		{"MissingSupercategory", `{"images":[],"annotations":[],"categories":[{"id":1,"name":"c"}]}`, "supercategory must be a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := formatstest.ValidateCOCO([]byte(tc.doc))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestValidateYOLO(t *testing.T) {
	t.Parallel()
	yaml := []byte("nc: 2\nnames:\n  0: \"Car\"\n  1: \"Bus\"\n")
	ok := map[string][]byte{"data.yaml": yaml, "labels/a.txt": []byte("0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.1 0.1\n"), "labels/b.txt": nil}
	require.NoError(t, formatstest.ValidateYOLO(ok, formatstest.YOLODetect))
	require.NoError(t, formatstest.ValidateYOLO(map[string][]byte{"data.yaml": []byte("names: [a]\n"), "labels/a.txt": []byte("0 0.1 0.1 0.2 0.1 0.2 0.2\n")}, formatstest.YOLOSegment))
	require.NoError(t, formatstest.ValidateYOLO(map[string][]byte{"data.yaml": []byte("nc: 0\nnames: {}\n")}, formatstest.YOLODetect))

	for _, tc := range []struct {
		name  string
		files map[string][]byte
		task  string
		want  string
	}{
		{"MissingDataYAML", map[string][]byte{"labels/a.txt": nil}, formatstest.YOLODetect, "data.yaml: missing"},
		{"NCMismatch", map[string][]byte{"data.yaml": []byte("nc: 3\nnames: [a]\n")}, formatstest.YOLODetect, "nc is 3 but 1 names"},
		{"NamesGap", map[string][]byte{"data.yaml": []byte("names:\n  0: a\n  2: b\n")}, formatstest.YOLODetect, "index 1 missing"},
		{"ClassTooLarge", map[string][]byte{"data.yaml": yaml, "labels/a.txt": []byte("2 0.5 0.5 0.1 0.1\n")}, formatstest.YOLODetect, `labels/a.txt:1: class "2" is not an index below nc=2`},
		{"OutOfRange", map[string][]byte{"data.yaml": yaml, "labels/a.txt": []byte("0 1.5 0.5 0.1 0.1\n")}, formatstest.YOLODetect, `value "1.5" is not a number in [0, 1]`},
		{"DetectFieldCount", map[string][]byte{"data.yaml": yaml, "labels/a.txt": []byte("0 0.5 0.5 0.1\n")}, formatstest.YOLODetect, "needs class cx cy w h, got 3 values"},
		{"ZeroSizeBox", map[string][]byte{"data.yaml": yaml, "labels/a.txt": []byte("0 0.5 0.5 0 0.1\n")}, formatstest.YOLODetect, "must be above 0"},
		{"SegmentTooShort", map[string][]byte{"data.yaml": yaml, "labels/a.txt": []byte("0 0.1 0.1 0.2 0.2\n")}, formatstest.YOLOSegment, "at least 3 x y pairs"},
		{"OBBFieldCount", map[string][]byte{"data.yaml": yaml, "labels/a.txt": []byte("0 0.1 0.1 0.2 0.2 0.3 0.3\n")}, formatstest.YOLOOBB, "4 corners (8 values), got 6"},
		{"StrayFile", map[string][]byte{"data.yaml": yaml, "a.txt": nil}, formatstest.YOLODetect, "a.txt: not a labels/*.txt file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.ErrorContains(t, formatstest.ValidateYOLO(tc.files, tc.task), tc.want)
		})
	}
}
