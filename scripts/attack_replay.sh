#!/usr/bin/env bash
# Replays the attacks of SECURITY.md against a running hub and prints one
# line per attack: "held" when the hub refused it as it should, "broken"
# when it did not. It creates a throwaway project, plugin, user and key in
# the admin's organization and removes what it can afterwards. Run it
# against a deployment you operate, never against someone else's.
#
# Usage: scripts/attack_replay.sh HUB_URL ADMIN_API_KEY
# Needs: curl, python3 (for JSON).
# Exit:  0 when every attack held, 1 when one is broken.
set -uo pipefail

hub="${1:?usage: $0 HUB_URL ADMIN_API_KEY}"
hub="${hub%/}"
admin="${2:?usage: $0 HUB_URL ADMIN_API_KEY}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
broken=0

result() { # name held|broken detail
	printf '%-48s %-6s %s\n' "$1" "$2" "$3"
	[[ "$2" == held ]] || broken=1
}

# api METHOD PATH [JSON] -> body in $work/body, status in $status
api() {
	local data=()
	[[ $# -ge 3 ]] && data=(-H 'Content-Type: application/json' --data-binary "$3")
	status=$(curl -s -o "$work/body" -w '%{http_code}' -X "$1" -H "apikey: ${key:-$admin}" "${data[@]}" "$hub$2")
}
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"d": d}))' "$work/body" "$1" 2>/dev/null; }

# Throwaway objects.
api POST /api/projects '{"name":"attack replay"}'
project=$(json 'd["id"]')
api POST /api/plugins '{"name":"attack replay"}'
plugin=$(json 'd["id"]')
api POST "/api/projects/$project/plugins/$plugin"

# 6: storages may not point at loopback, metadata or private addresses.
for ep in http://127.0.0.1:1 http://localhost:22 http://169.254.169.254 http://10.0.0.1; do
	api POST /api/storages "{\"name\":\"attack $RANDOM\",\"provider\":\"AWS\",\"endpoint\":\"$ep\",\"bucket\":\"b\",\"accessKey\":\"a\",\"secretKey\":\"s\",\"region\":\"us-east-1\"}"
	if grep -q 'refused by policy' "$work/body"; then
		result "ssrf storage $ep" held "refused by policy"
	else
		result "ssrf storage $ep" broken "HTTP $status: $(head -c 160 "$work/body") (or allowed by allow-private-networks)"
		[[ "$status" == 201 ]] && api DELETE "/api/storages/$(json 'd["id"]')"
	fi
done

# 7: REST base URLs may not climb out of an allowed prefix.
for base in 'http://127.0.0.1:18081/allowed/../secret' 'http://127.0.0.1:18081/allowed/%2e%2e/secret'; do
	api POST /api/plugins "{\"name\":\"rest $RANDOM\",\"connector\":\"rest\",\"baseUrl\":\"$base\"}"
	if [[ "$status" == 201 ]]; then
		result "rest base url $base" broken "accepted"
		api DELETE "/api/plugins/$(json 'd["id"]')"
	else
		result "rest base url $base" held "HTTP $status"
	fi
done

# 4: a run's Config JSON is bounded; lists leave configs out.
api POST "/api/projects/$project/plugins/$plugin/runs" "$(python3 -c 'import json; print(json.dumps({"configJSON": json.dumps({"pad": "x" * 100000})}))')"
if [[ "$status" == 413 ]]; then result "config json 100 KB" held "413 $(json 'd["message"]')"; else result "config json 100 KB" broken "HTTP $status"; fi
api GET '/api/runs?limit=1000'
if grep -q '"configJSON"' "$work/body"; then result "run list without configs" broken "configJSON listed"; else result "run list without configs" held "omitted"; fi

# 13: an unknown stage is refused, for exports as for runs.
api GET "/api/projects/$project/export?stage=NoSuchStage"
if [[ "$status" == 400 ]]; then result "export unknown stage" held "400"; else result "export unknown stage" broken "HTTP $status"; fi

# 2: presigned URLs: a forged signature and a PUT URL never signed.
api GET "/api/projects/$project"
org=$(json 'd.get("orgId") or d.get("organization") or "o"')
forged="$hub/blob/orgs/$org/projects/$project/exports/2025/0123456789abcdef0123456789abcdef/x.zip?method=PUT&expires=99999999999&sig=AAAA"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary 'PK' "$forged")
if [[ "$code" == 403 || "$code" == 404 ]]; then result "presigned PUT forged" held "HTTP $code"; else result "presigned PUT forged" broken "HTTP $code"; fi

# 10: members cannot enable plugins.
api POST /api/users "{\"email\":\"attack-$RANDOM@example.invalid\",\"name\":\"attack\",\"role\":\"member\",\"createKey\":true}"
member_id=$(json 'd["user"]["id"]')
member_key=$(json 'd["key"]["key"]')
key="$member_key" api POST "/api/projects/$project/plugins/$plugin"
if [[ "$status" == 403 ]]; then result "member enables a plugin" held "403"; else result "member enables a plugin" broken "HTTP $status"; fi

# 1: a web session made from a key ends with the key.
signin() { # key next -> Location header
	local jar="$work/jar.$RANDOM"
	local page
	page=$(curl -s -c "$jar" -b "$jar" "$hub/signin")
	local csrf
	csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
	curl -s -o /dev/null -D "$work/headers" -c "$jar" -b "$jar" --data-urlencode "csrf_token=$csrf" \
		--data-urlencode "api_key=$1" --data-urlencode "next=$2" "$hub/signin"
	sed -n 's/^[Ll]ocation: *//p' "$work/headers" | tr -d '\r'
	echo "$jar" >"$work/lastjar"
}
loc=$(signin "$member_key" $'/\t/evil.example')
if [[ "$loc" == /projects ]]; then result "sign-in next=/<tab>/evil" held "redirects to /projects"; else result "sign-in next=/<tab>/evil" broken "Location: $loc"; fi
jar=$(cat "$work/lastjar")
key="$member_key" api GET /api/keys
member_key_id=$(json '[k["id"] for k in d["keys"]][0]')
key="$member_key" api DELETE "/api/keys/$member_key_id"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$hub/projects")
if [[ "$code" == 200 ]]; then result "session after key revoked" broken "still 200"; else result "session after key revoked" held "HTTP $code"; fi

# 9: unauthenticated Socket.IO connections are capped and closed.
eio() { curl -s "$hub/socket.io/?EIO=4&transport=polling" -o "$work/eio" -w '%{http_code}'; }
capped=""
for i in $(seq 1 400); do
	if [[ "$(eio)" == 429 ]]; then capped=$i; break; fi
done
if [[ -n "$capped" ]]; then result "anonymous sockets capped" held "429 at connection $capped"; else result "anonymous sockets capped" broken "400 connections accepted"; fi
sleep 35 # the heartbeat deadline (30 s) closes them
code=$(eio)
sid=$(sed -n 's/.*"sid":"\([^"]*\)".*/\1/p' "$work/eio")
if [[ "$code" == 200 && -n "$sid" ]]; then
	curl -s -o /dev/null "$hub/socket.io/?EIO=4&transport=polling&sid=$sid" --data-binary '40/plugin,'
	curl -s -o /dev/null "$hub/socket.io/?EIO=4&transport=polling&sid=$sid"
	curl -s -o /dev/null "$hub/socket.io/?EIO=4&transport=polling&sid=$sid" --data-binary '42/plugin,["heartbeat",{"id":"nope","secret":"wrong"}]'
	sleep 2
	again=$(curl -s -o /dev/null -w '%{http_code}' "$hub/socket.io/?EIO=4&transport=polling&sid=$sid" --data-binary '40/plugin,')
	if [[ "$again" == 400 ]]; then result "rejected socket rejoins" held "connection closed"; else result "rejected socket rejoins" broken "HTTP $again"; fi
else
	result "rejected socket rejoins" broken "no handshake after the deadline (HTTP $code)"
fi

# Clean up what can be removed.
key="" api DELETE "/api/projects/$project"
key="" api DELETE "/api/plugins/$plugin"
[[ -n "${member_id:-}" ]] && key="" api DELETE "/api/users/$member_id"
exit $broken
