#!/usr/bin/env bash
# Play the water-connection story (utility_connection) from request to closure over the REST API,
# acting at each step as the demo user of the right department. Needs a server loaded with the demo
# (`make run`); takes an admin token from `wutong token admin` (same database) and has the API issue
# a token for every other demo user it acts as.
#
#   scripts/water_story.sh                 # server at http://127.0.0.1:5000
#   WUTONG_URL=http://127.0.0.1:5077 scripts/water_story.sh
set -euo pipefail
cd "$(dirname "$0")/.."
API="${WUTONG_URL:-http://127.0.0.1:5000}/api/v1"
WUTONG="${WUTONG_BIN:-.venv/bin/wutong}"
# `wutong token` records an audit event, which needs the audit key: make run's, unless one is set
if [[ -z "${WUTONG_AUDIT_KEY:-}" && -z "${WUTONG_AUDIT_KEY_FILE:-}" && -s var/audit.key ]]; then
    export WUTONG_AUDIT_KEY_FILE="$PWD/var/audit.key"
fi
PYTHON="$(dirname "$WUTONG")/python"  # the project's interpreter (a version-manager shim can take a second a call)
[[ -x "$PYTHON" ]] || PYTHON=python3
declare -A TOKENS

token() { printf '%s' "${TOKENS[$1]}"; }  # token USERNAME: that demo user's token for this run

call() {  # call USER METHOD PATH [JSON]: prints the response body, fails on an HTTP error
  local user=$1 method=$2 path=$3 body=${4:-}
  curl --silent --show-error --fail-with-body -X "$method" \
    -H "Authorization: Bearer $(token "$user")" -H 'Content-Type: application/json' \
    ${body:+--data "$body"} "$API$path"
}

json() {  # json EXPRESSION: evaluate a Python expression over the JSON document on stdin (as `d`)
  "$PYTHON" -c "import json, sys; d = json.load(sys.stdin); print($1)"
}

open_task() {  # open_task USER CASE ACTIVITY: the id of the case's open task for that step
  call "$1" GET "/tasks?instance_id=$2&state=open" \
    | json "next(t['id'] for t in d if t['activity_id'] == '$3')"
}

complete() {  # complete USER CASE ACTIVITY JSON
  local task
  task=$(open_task "$1" "$2" "$3")
  call "$1" POST "/tasks/$task/complete" "{\"data\": $4}" | json "d['case_state']" >/dev/null
  echo "  $3 done by $1"
}

# An admin token from the command line (same database), then one API token per demo user we act as.
TOKENS[admin]=$("$WUTONG" token admin --name water-story)
users=$(call admin GET "/users?page_size=200")
for name in ops_center.staff1 water_supply.staff1 innovation_dev.staff1 road_bridge.staff1 municipal_works.staff1 \
            urban_mgmt.staff1 subdistrict.staff1 village.staff1 jinggong.applicant auditor; do
  id=$(json "next(u['id'] for u in d if u['username'] == '$name')" <<<"$users")
  TOKENS[$name]=$(call admin POST "/users/$id/tokens" '{"name": "water-story"}' | json "d['secret']")
done

echo "1. The company's request is accepted at the operations center's one-stop desk (一口受理)"
applicant_id=$(json "next(u['id'] for u in d if u['username'] == 'jinggong.applicant')" <<<"$users")
case_id=$(call ops_center.staff1 POST /process-definitions/key/utility_connection/start \
  "{\"business_key\": \"WATER-$(date +%s)\", \"applicant_id\": \"$applicant_id\"}" | json "d['id']")
echo "  case $case_id"
complete ops_center.staff1 "$case_id" accept_request '{"company_name": "郑州梧桐精工机械有限公司",
  "credit_code": "91410100MA44R7QK24", "utility_type": "water", "site_address": "梧桐街道贾庄村南侧",
  "problem_description": "门前道路及管网未建成，企业十年未通自来水", "source": "visit",
  "contact_person": "马志成", "contact_phone": "0371-6789 1234", "max_cost_rounds": 2}'

echo "2. Five units work in parallel"
complete water_supply.staff1 "$case_id" survey_design '{"account_no": "GS-2019-0625", "survey_date": "2019-03-01", "design_summary": "DN200 供水主管 1.2 公里"}'
complete water_supply.staff1 "$case_id" estimate_cost '{"estimated_cost_wan": 95, "cost_breakdown": "管材、开挖、路面恢复"}'
complete innovation_dev.staff1 "$case_id" approve_cost '{"cost_approved": false, "approval_opinion": "路面恢复费用偏高，请重新核算"}'
complete water_supply.staff1 "$case_id" estimate_cost '{"estimated_cost_wan": 80, "cost_breakdown": "优化路面恢复方案"}'
complete innovation_dev.staff1 "$case_id" approve_cost '{"cost_approved": true, "approval_opinion": "同意", "approved_cost_wan": 80}'
complete road_bridge.staff1 "$case_id" set_construction_window '{"window_start": "2019-03-20", "window_end": "2019-06-20"}'
complete municipal_works.staff1 "$case_id" clear_earthwork '{"earthwork_volume_m3": 3200, "cleared_on": "2019-03-15"}'
complete urban_mgmt.staff1 "$case_id" grant_dig_permit '{"permit_no": "ZZGX-2019-031", "permit_valid_until": "2019-07-31"}'
complete subdistrict.staff1 "$case_id" coordinate_land_access '{"land_access_plan": "临时占地由街道协调，施工便道经村南"}'
complete village.staff1 "$case_id" village_consent '{"village_agrees": true, "village_opinion": "同意临时占地"}'

echo "3. On-site meeting and construction with progress reports"
complete ops_center.staff1 "$case_id" site_meeting '{"meeting_date": "2019-03-18", "responsibilities": "供水公司铺管，路桥公司恢复路面", "planned_completion": "2019-06-20"}'
complete water_supply.staff1 "$case_id" report_progress '{"progress_percent": 60, "construction_completed": false, "progress_note": "主管铺设过半"}'
complete water_supply.staff1 "$case_id" report_progress '{"progress_percent": 100, "construction_completed": true, "progress_note": "管道试压合格"}'

echo "4. Water flows: the water company's system sends supply_connected"
call water_supply.staff1 POST /messages '{"name": "supply_connected", "correlation": {"account_no": "GS-2019-0625"},
  "payload": {"account_no": "GS-2019-0625", "connected_at": "2019-06-25T09:30:00+08:00", "meter_no": "M-0625"}}' >/dev/null
echo "  supply_connected delivered"

echo "5. The company confirms and rates; the center strikes the case off (销号)"
complete jinggong.applicant "$case_id" confirm_supply '{"supply_confirmed": true, "satisfaction": 5}'
complete ops_center.staff1 "$case_id" close_case '{"closing_summary": "2019年6月25日通水，企业满意"}'

state=$(call auditor GET "/process-instances/$case_id" | json "d['state']")
events=$(call auditor GET "/process-instances/$case_id/history?page_size=200" | json "len(d)")
echo "case $case_id is $state; the auditor sees $events recorded actions"
[[ "$state" == "completed" ]]
