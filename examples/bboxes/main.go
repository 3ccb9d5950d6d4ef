// Command bboxes is the seed's sample export plugin written with the Go
// SDK: for every asset, the bounding boxes become "<title> <x> <y> <w> <h>"
// strings (numbers rounded half to even, as Python's round does) joined by
// the "separator-character" of the Config JSON ("-" by default); the result
// is one JSON list of {"externalId", "URL", "Annotations"} objects in
// "<projectId>.json" inside "<projectId>.zip". The JSON is byte-for-byte
// what the Python sample (python/bboxes_plugin.py) writes.
//
//	bboxes                  serve runs from the hub (HOST, PLUGIN_ID, PLUGIN_SECRET)
//	bboxes dev -export FILE [-config JSON] [-out DIR]
package main

import "github.com/exporthub/exporthub/plugin"

func main() { plugin.Main(plugin.HandlerFunc(convert)) }
