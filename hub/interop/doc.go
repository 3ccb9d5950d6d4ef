// Package interop holds the hub's interoperability tests: a real hub
// (in process, on a loopback port) and export plugins run by
// /usr/bin/python3 with Debian's python3-socketio and python3-requests,
// written to behave exactly as the imerit-ango SDK does
// (testdata/ango_plugin.py), over both connectors. The tests skip when
// that Python lacks those modules, and fail instead when CI=true.
package interop
