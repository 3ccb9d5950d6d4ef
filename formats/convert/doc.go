// Package convert holds what every built-in converter shares: the run
// environment ([Env]), the [Report] of what was written and skipped, the
// options common to all formats ([Common]), class index resolution
// ([Classes]), unique file names ([Namer]), the per-frame split of video
// and multi-page assets ([Frame]), flattened classifications ([Attrs]),
// temporary spool files ([Spool]) and the asset loop ([Walk]) that applies
// the common rules and turns per-asset problems into report entries.
//
// The converters themselves live in one package per format under formats/
// and the registry that picks one from a Config JSON is package formats.
package convert
