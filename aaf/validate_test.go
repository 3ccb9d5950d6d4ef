package aaf_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

// v3 returns a one-line v3 asset "x.jpg" whose task holds body.
func v3(body string) string {
	return `{"asset":"https://x/x.jpg","externalId":"x.jpg","task":{` + body + `}}`
}

// tool returns a tool object with objectId id and the given extra members.
func tool(id, members string) string {
	return `{"objectId":"` + id + `","schemaId":"s","title":"T",` + members + `}`
}

// validationCase is one input of the validation rules' table and the
// error it gives.
type validationCase struct {
	name  string
	input string
	want  string
}

// validationErrorCases returns the validation rules' table.
func validationErrorCases() []validationCase {
	box := `"bounding-box":{"x":1,"y":2,"width":3,"height":4}`
	return []validationCase{
		// Rule 1: container.
		{"LineNotObject", `[1,2]`, `asset 1 line 1: asset must be a JSON object, got a number`},
		{"NDJSONLineNotObject", minimal("a") + "\n\"text\"\n", `asset 2 line 2: asset must be a JSON object, got a string`},
		{"ElementNotObject", "[\n" + minimal("a") + ",\n null\n]", `asset 2 line 3: asset must be a JSON object, got null`},
		{"DataAfterArray", "[" + minimal("a") + "]\n{}", `line 2: invalid JSON: data after the closing ']' of the array`},
		// Rule 2: syntax.
		{"TrailingComma", "[" + minimal("a") + ",]", `asset 2 line 1: invalid JSON: invalid character ']' looking for beginning of value`},
		{"MissingComma", "[" + minimal("a") + " " + minimal("b") + "]", `line 1: invalid JSON: invalid character '{' after array element`},
		{"UnclosedArray", "[" + minimal("a") + "\n", `line 1: invalid JSON: unexpected end of input (missing ']' at the end of the array)`},
		{"NaNLiteral", v3(`"tools":[` + tool("o", `"point":[NaN,1]`) + `]`), `asset 1 line 1: invalid JSON: invalid character 'N' looking for beginning of value`},
		{"InfinityLiteral", v3(`"tools":[` + tool("o", `"point":[-Infinity,1]`) + `]`), `asset 1 line 1: invalid JSON: invalid character 'I' in numeric literal`},
		{"BadEscape", v3(`"taskId":"a\qb"`), `asset 1 line 1: invalid JSON: invalid character 'q' in string escape code`},
		{"ControlCharInString", v3("\"taskId\":\"a\x01b\""), `asset 1 line 1: invalid JSON: invalid character '\x01' in string literal`},
		{"LeadingZero", v3(`"tools":[` + tool("o", `"point":[01,1]`) + `]`), `asset 1 line 1: invalid JSON: invalid character '1' after array element`},
		{"TooDeep", v3(`"x":` + strings.Repeat("[", 400) + strings.Repeat("]", 400)), `asset 1 line 1: invalid JSON: nesting deeper than 300 levels`},
		{"TooDeepInArray", "[" + v3(`"x":`+strings.Repeat("[", 400)+strings.Repeat("]", 400)) + "]", `asset 1 line 1: invalid JSON: nesting deeper than 300 levels`},
		// Rule 3: task / tasks.
		{"MissingTask", `{"externalId":"x.jpg"}`, `asset 1 ("x.jpg") line 1: missing "task" (and no legacy "tasks")`},
		{"TaskNotObject", `{"externalId":"x.jpg","task":[]}`, `asset 1 ("x.jpg") line 1: task: task must be an object, got array`},
		{"TasksNotArray", `{"externalId":"x.jpg","tasks":{}}`, `asset 1 ("x.jpg") line 1: tasks: tasks must be an array, got object`},
		{"TasksEntryNotObject", `{"externalId":"x.jpg","tasks":["t"]}`, `asset 1 ("x.jpg") line 1: tasks[0]: task must be an object, got string "t"`},
		// Rule 4: lists.
		{"ToolsNotArray", v3(`"tools":{}`), `asset 1 ("x.jpg") line 1: task.tools: tools must be an array, got object`},
		{"ObjectsNotArray", `{"externalId":"x.jpg","tasks":[{"objects":"none"}]}`, `asset 1 ("x.jpg") line 1: tasks[0].objects: objects must be an array, got string "none"`},
		{"ClassificationsNotArray", v3(`"classifications":null`), `asset 1 ("x.jpg") line 1: task.classifications: classifications must be an array, got null`},
		{"NestedClassificationsNotArray", v3(`"tools":[` + tool("o", box+`,"classifications":7`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].classifications (objectId "o"): classifications must be an array, got number 7`},
		{"RelationsNotArray", v3(`"relations":true`), `asset 1 ("x.jpg") line 1: task.relations: relations must be an array, got boolean`},
		{"StageHistoryNotArray", v3(`"stageHistory":{}`), `asset 1 ("x.jpg") line 1: task.stageHistory: stageHistory must be an array, got object`},
		{"ToolNotObject", v3(`"tools":[[1,2]]`), `asset 1 ("x.jpg") line 1: task.tools[0]: tool must be an object, got array`},
		// Rule 5: geometry.
		{"BoundingBoxArray", v3(`"tools":[` + tool("o", `"bounding-box":[1,2,3,4]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0]."bounding-box" (objectId "o"): bounding box must be an object with numeric x, y, width, height; got array`},
		{"BoundingBoxMissingKey", v3(`"tools":[` + tool("o", `"bounding-box":{"x":1,"y":2,"width":3}`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0]."bounding-box" (objectId "o"): bounding box must be an object with numeric x, y, width, height; "height" is missing`},
		{"BoundingBoxStringNumber", v3(`"tools":[` + tool("o", `"bounding-box":{"x":1,"y":2,"width":"3","height":4}`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0]."bounding-box".width (objectId "o"): width must be a number, got string "3"`},
		{"RotatedBoxMissingRotation", v3(`"tools":[` + tool("o", `"rotated-bounding-box":{"x":1,"y":2,"width":3,"height":4}`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0]."rotated-bounding-box" (objectId "o"): rotated bounding box must be an object with numeric x, y, width, height, rotation; "rotation" is missing`},
		{"RotatedBoxBadCorner", v3(`"tools":[` + tool("o", `"rotated-bounding-box":{"x":1,"y":2,"width":3,"height":4,"rotation":5,"corners":[[1,2],[3]]}`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0]."rotated-bounding-box".corners[1] (objectId "o"): corner must be [x, y] (2 numbers), got 1 value`},
		{"PointThreeNumbers", v3(`"tools":[` + tool("o", `"point":[1,2,3]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].point (objectId "o"): point must be [x, y] (2 numbers), got 3 values`},
		{"PointObject", v3(`"tools":[` + tool("o", `"point":{"x":1,"y":2}`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].point (objectId "o"): point must be [x, y] (2 numbers), got object`},
		{"PolygonNotArray", v3(`"tools":[` + tool("o", `"polygon":"1,2 3,4"`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].polygon (objectId "o"): polygon must be an array of [x, y] pairs, got string "1,2 3,4"`},
		{"PolygonOddCoordinates", v3(`"tools":[` + tool("o", `"polygon":[[1,2],[3,4],[5]]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].polygon[2] (objectId "o"): vertex must be [x, y] (2 numbers), got 1 value`},
		{"PolygonFlatNumbers", v3(`"tools":[` + tool("o", `"polygon":[1,2,3,4,5,6]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].polygon[0] (objectId "o"): vertex must be [x, y] (2 numbers), got number 1`},
		{"PolylineNonNumeric", v3(`"tools":[` + tool("o", `"polyline":[[1,2],[3,"4.5"]]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].polyline[1][1] (objectId "o"): coordinate must be a number, got string "4.5"`},
		{"PolygonNullCoordinate", v3(`"tools":[` + tool("o", `"polygon":[[1,2],[3,null],[5,6]]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].polygon[1][1] (objectId "o"): coordinate must be a number, got null`},
		{"SegmentationNotObject", v3(`"tools":[` + tool("o", `"segmentation":[]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].segmentation (objectId "o"): segmentation must be an object, got array`},
		{"SegmentationRingNotPairs", v3(`"tools":[` + tool("o", `"segmentation":{"zones":[{"region":[1,2,3],"holes":[]}]}`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].segmentation.zones[0].region[0] (objectId "o"): vertex must be [x, y] (2 numbers), got number 1`},
		{"SegmentationHoleNotRing", v3(`"tools":[` + tool("o", `"segmentation":{"zones":[{"region":[[1,2],[3,4],[5,6]],"holes":[[[1,2]],"x"]}]}`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].segmentation.zones[0].holes[1] (objectId "o"): hole must be an array of [x, y] pairs, got string "x"`},
		{"SegmentationZoneWithoutRegion", v3(`"tools":[` + tool("o", `"segmentation":{"zones":[{"holes":[]}]}`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].segmentation.zones[0] (objectId "o"): zone must have a "region" ring`},
		{"NERWithoutEnd", v3(`"tools":[` + tool("o", `"ner":{"start":1,"selection":"a"}`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].ner (objectId "o"): ner must be an object with numeric "start" and "end"`},
		{"TwoGeometries", v3(`"tools":[` + tool("o", box+`,"point":[1,2]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].point (objectId "o"): second geometry key (the object already has "bounding-box"); an object has exactly one`},
		{"PageNotInteger", v3(`"tools":[` + tool("o", box+`,"page":1.5`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].page (objectId "o"): page must be a non-negative integer, got number 1.5`},
		{"PageNegative", v3(`"tools":[` + tool("o", box+`,"page":-1`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].page (objectId "o"): page must be a non-negative integer, got number -1`},
		{"ObjectIDNotString", v3(`"tools":[{"objectId":12,` + box + `}]`), `asset 1 ("x.jpg") line 1: task.tools[0].objectId: objectId must be a string, got number 12`},
		// Rule 6: numbers beyond float64.
		{"HugeCoordinate", v3(`"tools":[` + tool("o", `"point":[1e999,1]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].point[0] (objectId "o"): number 1e999 out of range (not a finite float64)`},
		{"HugeNegativeMetadata", `{"externalId":"x.jpg","metadata":{"width":-1e400},"task":{}}`, `asset 1 ("x.jpg") line 1: metadata.width: number -1e400 out of range (not a finite float64)`},
		{"HugeInContextData", `{"externalId":"x.jpg","contextData":{"a":[1,2e308,3]},"task":{}}`, `asset 1 ("x.jpg") line 1: contextData.a[1]: number 2e308 out of range (not a finite float64)`},
		{"HugeInUnknownToolKey", v3(`"tools":[` + tool("o", box+`,"metadata":{"createdAt":9e9999}`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].metadata.createdAt (objectId "o"): number 9e9999 out of range (not a finite float64)`},
		// Rule 7: duplicate objectIds per snapshot and page.
		{"DuplicateTools", v3(`"tools":[` + tool("d", box) + `,` + tool("d", `"point":[1,2]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[1]: duplicate objectId "d" (also at task.tools[0])`},
		{"DuplicateNestedClassification", v3(`"tools":[` + tool("o", box+`,"classifications":[{"objectId":"c","tool":"radio","answer":"a","classifications":[{"objectId":"o","tool":"text","answer":"b"}]}]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[0].classifications[0].classifications[0]: duplicate objectId "o" (also at task.tools[0])`},
		{"DuplicateToolAndRelation", v3(`"tools":[` + tool("o", box) + `,` + tool("p", box) + `],"relations":[{"objectId":"o","from":"o","to":"p"}]`), `asset 1 ("x.jpg") line 1: task.relations[0]: duplicate objectId "o" (also at task.tools[0])`},
		{"DuplicateOnSamePage", v3(`"tools":[` + tool("o", box+`,"page":3`) + `,` + tool("o", box+`,"page":3`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[1]: duplicate objectId "o" on page 3 (also at task.tools[0])`},
		{"DuplicateNestedOnSamePage", v3(`"tools":[` + tool("o", box+`,"page":3,"classifications":[{"objectId":"c","answer":"a"}]`) + `,` + tool("p", box+`,"page":3,"classifications":[{"objectId":"c","answer":"a"}]`) + `]`), `asset 1 ("x.jpg") line 1: task.tools[1].classifications[0]: duplicate objectId "c" on page 3 (also at task.tools[0].classifications[0])`},
		{"DuplicateInStageHistoryEntry", v3(`"tools":[` + tool("o", box) + `],"stageHistory":[{"stage":"Label","tools":[` + tool("o", box) + `],"classifications":[{"objectId":"o","answer":"x"}]}]`), `asset 1 ("x.jpg") line 1: task.stageHistory[0].classifications[0]: duplicate objectId "o" (also at task.stageHistory[0].tools[0])`},
		{"DuplicateInLegacyTask", `{"externalId":"x.jpg","tasks":[{"objects":[` + tool("o", box) + `,` + tool("o", box) + `]}]}`, `asset 1 ("x.jpg") line 1: tasks[0].objects[1]: duplicate objectId "o" (also at tasks[0].objects[0])`},
		// Rule 8 (an error by the brief's acceptance criteria): relation endpoints.
		{"RelationToMissing", v3(`"tools":[` + tool("o", box) + `],"relations":[{"objectId":"r","from":"o","to":"gone"}]`), `asset 1 ("x.jpg") line 1: task.relations[0].to (objectId "r"): relation endpoint "gone" matches no tool or relation in this snapshot`},
		{"RelationFromMissing", v3(`"tools":[` + tool("o", box) + `],"relations":[{"objectId":"r","from":"gone","to":"o"}]`), `asset 1 ("x.jpg") line 1: task.relations[0].from (objectId "r"): relation endpoint "gone" matches no tool or relation in this snapshot`},
		{"RelationGroupMemberMissing", v3(`"tools":[` + tool("o", box) + `],"relations":[{"objectId":"r","group":["o","gone"]}]`), `asset 1 ("x.jpg") line 1: task.relations[0].group[1] (objectId "r"): relation endpoint "gone" matches no tool or relation in this snapshot`},
		{"RelationToClassification", v3(`"tools":[` + tool("o", box) + `],"classifications":[{"objectId":"c","answer":"a"}],"relations":[{"objectId":"r","from":"o","to":"c"}]`), `asset 1 ("x.jpg") line 1: task.relations[0].to (objectId "r"): relation endpoint "c" matches no tool or relation in this snapshot`},
		{"RelationInOtherSnapshot", v3(`"tools":[` + tool("o", box) + `,` + tool("p", box) + `],"stageHistory":[{"tools":[` + tool("o", box) + `],"relations":[{"objectId":"r","from":"o","to":"p"}]}]`), `asset 1 ("x.jpg") line 1: task.stageHistory[0].relations[0].to (objectId "r"): relation endpoint "p" matches no tool or relation in this snapshot`},
		{"RelationBothKinds", v3(`"tools":[` + tool("o", box) + `],"relations":[{"objectId":"r","from":"o","to":"o","group":["o"]}]`), `asset 1 ("x.jpg") line 1: task.relations[0] (objectId "r"): relation has both "group" and "from"/"to"; it must be one or the other`},
		{"RelationWithoutTo", v3(`"tools":[` + tool("o", box) + `],"relations":[{"objectId":"r","from":"o"}]`), `asset 1 ("x.jpg") line 1: task.relations[0] (objectId "r"): relation needs "from" and "to" (single) or "group"`},
		{"RelationFromNotString", v3(`"relations":[{"objectId":"r","from":1,"to":"o"}]`), `asset 1 ("x.jpg") line 1: task.relations[0].from (objectId "r"): from must be a string, got number 1`},
		{"RelationGroupMemberNotString", v3(`"relations":[{"objectId":"r","group":[null]}]`), `asset 1 ("x.jpg") line 1: task.relations[0].group[0] (objectId "r"): group member must be an objectId (string), got null`},
	}
}

func TestReader_Next_ValidationErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range validationErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, m := range readerModes {
				_, err, _ := readAll(t, strings.NewReader(tc.input), m.opts...)
				require.EqualError(t, err, tc.want, m.name)
			}
		})
	}
}

func TestReader_Next_ValidAcrossPagesAndSnapshots(t *testing.T) {
	t.Parallel()
	box := `"bounding-box":{"x":1,"y":2,"width":3,"height":4}`
	for _, tc := range []struct {
		name, input string
	}{
		{"SameIDOnDifferentPages", v3(`"tools":[` + tool("o", box+`,"page":0`) + `,` + tool("o", box+`,"page":1,"interpolationStopped":true`) + `]`)},
		{"NestedClassificationsTakeParentPage", v3(`"tools":[` + tool("o", box+`,"page":0,"classifications":[{"objectId":"c","answer":"a"}]`) + `,` + tool("o", box+`,"page":1,"classifications":[{"objectId":"c","answer":"b"}]`) + `]`)},
		{"StageHistoryRepeatsFinalIDs", v3(`"tools":[` + tool("o", box) + `],"stageHistory":[{"tools":[` + tool("o", box) + `]},{"tools":[` + tool("o", box) + `]}]`)},
		{"LegacyClassificationsWithoutIDs", `{"externalId":"x.jpg","tasks":[{"objects":[],"classifications":[{"answer":"a"},{"answer":"b"}]}]}`},
		{"ConsensusTasksRepeatIDs", `{"externalId":"x.jpg","tasks":[{"objects":[` + tool("o", box) + `]},{"objects":[` + tool("o", box) + `]}]}`},
		{"RelationToRelation", v3(`"tools":[` + tool("o", box) + `,` + tool("p", box) + `],"relations":[{"objectId":"g","group":["o","p"]},{"objectId":"r","from":"o","to":"g"}]`)},
		{"RelationOnFrameBetweenKeyframes", v3(`"tools":[` + tool("o", box+`,"page":0`) + `,` + tool("p", box+`,"page":9`) + `],"relations":[{"objectId":"r","from":"o","to":"p","page":5}]`)},
		{"SegmentationWithoutZones", v3(`"tools":[` + tool("o", `"segmentation":{}`) + `]`)},
		{"UnknownKeysEverywhere", `{"externalId":"x.jpg","new":1,"task":{"newTask":{"a":[1]},"tools":[` + tool("o", box+`,"circle":{"r":1},"lock":true`) + `]}}`},
		{"NullTimestamps", v3(`"updatedAt":null,"updatedBy":null,"brushDataUrl":null`)},
		{"EpochTimestamps", v3(`"updatedAt":1709546100000,"stageHistory":[{"completedAt":1709546100000}]`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assets, err, _ := readAll(t, strings.NewReader(tc.input))
			require.NoError(t, err)
			require.Len(t, assets, 1)
		})
	}
}

func TestReader_Next_Warnings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, input string
		want        []string
	}{
		{"NegativeBoxSize", v3(`"tools":[` + tool("o", `"bounding-box":{"x":9,"y":9,"width":-3,"height":4}`) + `]`),
			[]string{`asset 1 ("x.jpg") line 1: task.tools[0]."bounding-box" (objectId "o"): negative width or height (box drawn from another corner); use Normalize`}},
		{"PolygonTwoPoints", v3(`"tools":[` + tool("o", `"polygon":[[1,2],[3,4]]`) + `]`),
			[]string{`asset 1 ("x.jpg") line 1: task.tools[0].polygon (objectId "o"): polygon has 2 vertices; a valid polygon needs at least 3`}},
		{"PolylineOnePoint", v3(`"tools":[` + tool("o", `"polyline":[[1,2]]`) + `]`),
			[]string{`asset 1 ("x.jpg") line 1: task.tools[0].polyline (objectId "o"): polyline has 1 points; a line needs at least 2`}},
		{"FlatHoles", v3(`"tools":[` + tool("o", `"segmentation":{"zones":[{"region":[[0,0],[9,0],[9,9]],"holes":[[1,1],[2,1],[2,2]]}]}`) + `]`),
			[]string{`asset 1 ("x.jpg") line 1: task.tools[0].segmentation.zones[0].holes (objectId "o"): holes is one flat list of [x, y] pairs, not a list of rings; read as one ring`}},
		{"BatchNumber", `{"externalId":"x.jpg","batches":["a",null,3],"task":{}}`,
			[]string{`asset 1 ("x.jpg") line 1: batches[2]: expected a batch name (string), got number 3; skipped`}},
		{"TitleNotString", v3(`"tools":[{"objectId":"o","title":5,"point":[1,2]}]`),
			[]string{`asset 1 ("x.jpg") line 1: task.tools[0].title (objectId "o"): expected a string, got number 5; kept as is`}},
		{"MetadataWidthString", `{"externalId":"x.jpg","metadata":{"width":"640"},"task":{}}`,
			[]string{`asset 1 ("x.jpg") line 1: metadata.width: expected a number, got string "640"; kept as is`}},
		{"AnswerObject", v3(`"classifications":[{"objectId":"c","answer":{"a":1}}]`),
			[]string{`asset 1 ("x.jpg") line 1: task.classifications[0].answer (objectId "c"): answer is object, not a string or a list of strings; kept as raw JSON`}},
		{"UnknownDirection", v3(`"tools":[` + tool("o", `"point":[1,2]`) + `],"relations":[{"objectId":"r","from":"o","to":"o","direction":"sideways"}]`),
			[]string{`asset 1 ("x.jpg") line 1: task.relations[0].direction (objectId "r"): unknown direction "sideways" (want straight, reverse or bidirectional)`}},
		{"NoGeometry", v3(`"tools":[{"objectId":"o","circle":{"r":1}}]`),
			[]string{`asset 1 ("x.jpg") line 1: task.tools[0] (objectId "o"): no known geometry key; kept as is`}},
		{"MedicalBrushIsQuiet", v3(`"tools":[{"objectId":"o","medical-brush":true,"classifications":[]}]`), nil},
		{"TolerantAndQuiet", `{"externalId":"x.jpg","batches":[],"metadata":{},"task":{"updatedAt":1709546100000,"duration(ms)":5}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, m := range readerModes {
				_, err, warnings := readAll(t, strings.NewReader(tc.input), m.opts...)
				require.NoError(t, err, m.name)
				var got []string
				for _, w := range warnings {
					got = append(got, w.Error())
				}
				require.Equal(t, tc.want, got, m.name)
			}
		})
	}
}

func TestReader_Next_WarningsPerAssetAreBounded(t *testing.T) {
	t.Parallel()
	var tools []string
	for i := range 150 {
		tools = append(tools, tool("o"+strings.Repeat("x", i), `"polygon":[[1,2]]`))
	}
	_, err, warnings := readAll(t, strings.NewReader(v3(`"tools":[`+strings.Join(tools, ",")+`]`)))
	require.NoError(t, err)
	require.Len(t, warnings, 101)
	require.Equal(t, `asset 1 ("x.jpg") line 1: 50 more warnings in this asset not reported`, warnings[100].Error())
}

func TestReader_WithoutValidation(t *testing.T) {
	t.Parallel()
	input := v3(`"tools":[` + tool("d", `"point":[1,2]`) + `,` + tool("d", `"point":[1,2]`) + `],"relations":[{"objectId":"r","from":"d","to":"gone"}]`)
	_, err, _ := readAll(t, strings.NewReader(input))
	require.ErrorIs(t, err, aaf.ErrInvalid)
	assets, err, _ := readAll(t, strings.NewReader(input), aaf.WithoutValidation())
	require.NoError(t, err)
	require.Len(t, assets, 1)
}
