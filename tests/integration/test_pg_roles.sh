#!/usr/bin/env bash
# The PostgreSQL roles of deploy/postgres-roles.sql (docs/security.md) on a
# real stack: the schema migrated as simpul_admin, the real hub running as
# simpul_hub and the real console as simpul_console:
#  - the hub ingests, opens and escalates a case, creates a future month's
#    partition and applies retention (SECURITY DEFINER functions);
#  - simpul_hub gets "permission denied" writing rules, holidays, users;
#  - simpul_read reads the report_* views, not raw event/dead_letter,
#    cannot write, and sees no reporter's name or contact;
#  - a rule simpul_admin applies reaches the running hub;
#  - the console signs in and acts on a case as simpul_console;
#  - a hub whose role may not migrate refuses pending migrations, naming
#    the command to run.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
. "$SIMPUL_SRC/tests/integration/daemon_lib.sh"
it_setup

command -v jq >/dev/null || it_die "jq is needed (apt-get install jq)"
command -v curl >/dev/null || it_die "curl is missing (deploy/debian-packages.txt)"
CTL=$SIMPUL_BIN/simpulctl
LG=$SIMPUL_BIN/simpul-loadgen
PW=correct-horse-battery
ADU_TOPIC=karo/ev/diskominfo/pengaduan/complaint.created

# --- roles and database, as deploy/INSTALL.md makes them ---------------------
DB=simpul_roles
roles()
{
	psql -XAtq -v ON_ERROR_STOP=1 -v db=$DB -v admin_password=admin-pw \
	    -v hub_password=hub-pw -v console_password=console-pw \
	    -v read_password=read-pw -f "$SIMPUL_SRC/deploy/postgres-roles.sql" \
	    >"$IT_DIR/log/roles.log" 2>&1
}
roles && it_pass "deploy/postgres-roles.sql" ||
    it_die "deploy/postgres-roles.sql: $(cat "$IT_DIR/log/roles.log")"
pg() { echo "host=$PGHOST port=$PGPORT dbname=$DB user=simpul_$1 password=$1-pw"; }
ADMIN_PG=$(pg admin) HUB_PG=$(pg hub) CON_PG=$(pg console) READ_PG=$(pg read)
as() # ROLE SQL: psql as simpul_ROLE, output and errors
{
	psql -XAtq -v ON_ERROR_STOP=1 "$(pg "$1")" -c "$2" </dev/null 2>&1
}
admin_wait() # SECS SQL WANT: until SQL as simpul_admin gives WANT
{
	local end=$((SECONDS + $1)) got

	while :; do
		got=$(as admin "$2")
		[ "$got" = "$3" ] && return 0
		if [ "$SECONDS" -ge "$end" ]; then
			it_fail "timed out after $1 s waiting for '$2' to give '$3'; last: '$got'"
			return 1
		fi
		sleep 0.2
	done
}
denied() # ROLE SQL MSG: the statement fails with "permission denied"
{
	local out

	out=$(as "$1" "$2")
	case $out in
	*"permission denied"* | *"must be owner"*) it_pass "$3" ;;
	*) it_fail "$3: $out" ;;
	esac
}

hub_conf hub1 '[cases]' 'escalation_interval = 200ms' \
    '[postgres]' 'retention_months = 12' 'migrate = on'
SIMPUL_PG=$ADMIN_PG "$CTL" migrate -c "$IT_DIR/hub1.conf" >"$IT_DIR/log/migrate.log" 2>&1 &&
    it_pass "simpulctl migrate as simpul_admin" ||
    it_die "simpulctl migrate as simpul_admin: $(cat "$IT_DIR/log/migrate.log")"
roles && it_pass "postgres-roles.sql again after the migration (grants)" ||
    it_fail "postgres-roles.sql the second time: $(cat "$IT_DIR/log/roles.log")"
it_assert_eq "$(as admin "select string_agg(distinct pg_get_userbyid(relowner), ',') from pg_class
    where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'v')")" simpul_admin \
    "simpul_admin owns every table and view"
# A migration that adds a table must name it in simpul_apply_grants() or no
# role but the owner can use it (default privileges grant nothing). The
# relations no role may read are these, on purpose (outbox_message is the
# outbox for people, and the outbox carries dead letters' payloads); a new
# table left out of the grants fails here.
it_assert_eq "$(as admin "select string_agg(c.relname, ',' order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v')
    and not c.relispartition and not exists (select 1
    from unnest(array['simpul_hub', 'simpul_console', 'simpul_read']) r
    where has_table_privilege(r, c.oid, 'SELECT'))")" outbox_message \
    "the tables and views no role may read"
SIMPUL_PG=$ADMIN_PG "$CTL" rules apply "$SIMPUL_SRC/tests/data/rules-e2e/escalation.yaml" \
    --actor tester >"$IT_DIR/log/apply.log" 2>&1 && it_pass "rules apply as simpul_admin" ||
    it_fail "rules apply as simpul_admin: $(cat "$IT_DIR/log/apply.log")"
for u in op1; do
	printf '%s\n' "$PW" | SIMPUL_PG=$ADMIN_PG "$CTL" user add "$u" --role operator \
	    >/dev/null 2>"$IT_DIR/user.err" && it_pass "simpulctl user add $u as simpul_admin" ||
	    it_fail "simpulctl user add as simpul_admin: $(cat "$IT_DIR/user.err")"
done

# A future month the hub must create itself, and an old one retention drops.
FUTURE=$(as admin "select to_char(date_trunc('month', now()) + interval '2 months', '\"event_y\"YYYY\"m\"MM')")
as admin "drop table if exists $FUTURE" >/dev/null
as admin "select simpul_ensure_partition('2020-01-15')" >/dev/null
it_assert_eq "$(as admin "select to_regclass('event_y2020m01') is not null and to_regclass('$FUTURE') is null")" t \
    "before the hub: 2020-01 exists, $FUTURE does not"

# --- the hub as simpul_hub --------------------------------------------------------
export SIMPUL_PG=$HUB_PG
hub_start hub1
it_assert_eq "$(as admin "select pg_get_userbyid(relowner) from pg_class where oid = to_regclass('$FUTURE')")" \
    simpul_admin "the hub created $FUTURE (owned by simpul_admin, SECURITY DEFINER)"
it_wait_for 20 "retention to drop event_y2020m01" \
    bash -c "[ \"\$(psql -XAtq '$ADMIN_PG' -c \"select to_regclass('event_y2020m01') is null\")\" = t ]" &&
    it_pass "retention (retention_months = 12) dropped event_y2020m01 as simpul_hub"

# A complaint 6+ working days old with a named reporter: stored, a case
# opened and escalated at once (test_escalation.sh does the same).
days=$(as admin "select min(d) from generate_series(8, 60) d
    where simpul_deadline(now() - d * interval '1 day', '6wd') <= now() - interval '1 hour'")
"$LG" pub --dump --count 1 --mix complaint.created=1 --prefix x --time-offset-days "$days" |
    jq -c '.id = "roles-old" | .data.complaint_id = "ADU-ROLES"
        | .data.reporter = {"anonymous": false, "name": "Budi Santoso", "contact": "+6281234567890"}' \
    >"$IT_DIR/old.json"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$ADU_TOPIC" -f "$IT_DIR/old.json"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$ADU_TOPIC" -m '{"not": json'
admin_wait 20 "select count(*) from event where id = 'roles-old'" 1 &&
    it_pass "the hub (simpul_hub) stored the event"
admin_wait 20 "select escalation_level from case_record where case_key = 'pengaduan:ADU-ROLES'" 1 &&
    it_pass "the hub opened the case and escalated it to level 1"
admin_wait 20 "select count(*) from dead_letter where reason = 'invalid_json'" 1 &&
    it_pass "the hub stored the dead letter"
CASE=$(as admin "select human_id from case_record where case_key = 'pengaduan:ADU-ROLES'")

# --- what simpul_hub may not do ---------------------------------------------------
denied hub "insert into rule (name, definition) values ('x', '{}')" "simpul_hub cannot write rule"
denied hub "delete from rule" "simpul_hub cannot delete rules"
denied hub "insert into holiday (day, name) values ('2031-01-02', 'x')" "simpul_hub cannot write holiday"
denied hub "delete from rule_history" "simpul_hub cannot write rule_history"
denied hub "update console_user set role = 'admin'" "simpul_hub cannot write console_user"
denied hub "create table x (i int)" "simpul_hub cannot create tables"
denied hub "drop table $FUTURE" "simpul_hub cannot drop a partition directly"

# --- simpul_read ------------------------------------------------------------------
it_assert_eq "$(as read "select count(*) from report_event where id = 'roles-old'")" 1 "simpul_read reads report_event"
it_assert_eq "$(as read "select data->'reporter' from report_event where id = 'roles-old'")" '{"anonymous": false}' \
    "report_event: no reporter name or contact"
it_assert_eq "$(as admin "select data->'reporter'->>'contact' from event where id = 'roles-old'")" '+6281234567890' \
    "(the raw event has the contact)"
it_assert_eq "$(as read "select count(*) from report_event where data::text like '%6281234567890%' or data::text like '%Budi Santoso%'")" 0 \
    "no reporter contact anywhere in report_event"
it_assert_eq "$(as read "select reason || ' ' || (payload_bytes > 0) from report_dead_letter")" "invalid_json true" \
    "simpul_read reads report_dead_letter (size, no payload)"
it_assert_eq "$(as read "select status || ' ' || escalation_level from report_case where human_id = '$CASE'")" "new 1" \
    "simpul_read reads report_case"
it_assert_eq "$(as read "select count(*) from report_case_escalation e join report_case c on c.id = e.case_id where c.human_id = '$CASE'")" 1 \
    "simpul_read reads report_case_escalation"
it_assert_eq "$(as read "select count(*) > 0 from report_alert")" t "simpul_read reads report_alert"
denied read "select count(*) from event" "simpul_read cannot read raw event"
denied read "select count(*) from $FUTURE" "simpul_read cannot read a raw partition"
denied read "select count(*) from dead_letter" "simpul_read cannot read raw dead_letter"
denied read "select count(*) from outbox" "simpul_read cannot read the outbox"
denied read "select count(*) from console_user" "simpul_read cannot read console_user"
for sql in "delete from case_record" "insert into rule (name, definition) values ('x', '{}')" \
    "update holiday set name = 'x'" "create table x (i int)"; do
	# Its sessions are read-only by default; leave that aside to see the
	# privileges themselves.
	out=$(psql -XAtq "$READ_PG" -c "set default_transaction_read_only = off" -c "$sql" </dev/null 2>&1)
	case $out in
	*"permission denied"*) it_pass "simpul_read cannot: $sql" ;;
	*) it_fail "simpul_read: $sql: $out" ;;
	esac
done

# --- simpul_admin applies a rule; the running hub picks it up -------------------
before=$(grep -c 'rules: loaded' "$IT_DIR/log/hub1.log")
{
	cat "$SIMPUL_SRC/tests/data/rules-e2e/escalation.yaml"
	printf '  - name: roles-extra\n    priority: 950\n    topic: "{site}/ev/+/+/complaint.created"\n'
	printf '    actions:\n      - route: "{site}/feed/roles"\n'
} >"$IT_DIR/rules2.yaml"
SIMPUL_PG=$ADMIN_PG "$CTL" rules apply "$IT_DIR/rules2.yaml" --actor tester >"$IT_DIR/log/apply2.log" 2>&1 &&
    it_pass "simpul_admin applies a third rule" ||
    it_fail "rules apply: $(cat "$IT_DIR/log/apply2.log")"
it_wait_for 20 "the hub to reload its rules" \
    bash -c "[ \$(grep -c 'rules: loaded rules=3' '$IT_DIR/log/hub1.log') -ge 1 ] && [ \$(grep -c 'rules: loaded' '$IT_DIR/log/hub1.log') -gt $before ]" &&
    it_pass "the running hub loaded 3 rules"

# --- the console as simpul_console ------------------------------------------------
PORT=$(it_free_port) || it_die "no free port"
BASE=http://127.0.0.1:$PORT
# The console's own role, in the file and in SIMPUL_PG (which overrides
# the file's conninfo).
SIMPUL_PG=$CON_PG console_conf console "$PORT" 'poll = 200ms'
SIMPUL_PG=$CON_PG CONSOLE_AS=admin console_start console "$PORT"
J=$IT_DIR/jar
code=$(curl -s -o "$IT_DIR/login.json" -w '%{http_code}' -c "$J" -b "$J" -H 'Content-Type: application/json' \
    -H "Origin: $BASE" --data-binary "{\"user\":\"op1\",\"password\":\"$PW\"}" "$BASE/api/login")
it_assert_eq "$code" 200 "op1 signs in to the console (simpul_console)"
CSRF=$(jq -r .csrf "$IT_DIR/login.json")
code=$(curl -s -o "$IT_DIR/cases.json" -w '%{http_code}' -c "$J" -b "$J" "$BASE/api/cases/$CASE")
it_assert_eq "$code" 200 "the console shows case $CASE"
code=$(curl -s -o "$IT_DIR/act.json" -w '%{http_code}' -c "$J" -b "$J" -X POST -H 'Content-Type: application/json' \
    -H "X-CSRF-Token: $CSRF" -H "Origin: $BASE" --data-binary '{"note":"checked by phone"}' \
    "$BASE/api/cases/$CASE/verify")
it_assert_eq "$code" 200 "op1 verifies the case through the console: $(head -c 200 "$IT_DIR/act.json")"
it_assert_eq "$(as admin "select status from case_record where human_id = '$CASE'")" verified "the case is verified"
it_assert_eq "$(as admin "select count(*) from case_history h join case_record c on c.id = h.case_id
    where c.human_id = '$CASE' and h.action = 'verify' and h.actor like '%op1%'")" 1 "case_history records op1's step"
denied console "insert into rule (name, definition) values ('x', '{}')" "simpul_console cannot write rule"
denied console "update console_user set role = 'admin'" "simpul_console cannot write console_user"
denied console "delete from event" "simpul_console cannot delete events"

# --- pending migrations and a hub that may not migrate ----------------------------
as admin "delete from schema_migration where version = 7" >/dev/null
hub_conf hub2 '[postgres]' 'migrate = on'
it_as hub timeout 30 "$SIMPUL_BIN/simpul-hub" -c "$IT_DIR/hub2.conf" >"$IT_DIR/log/hub2.log" 2>&1
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && it_pass "simpul-hub as simpul_hub with a pending migration exits ($rc)" ||
    it_fail "simpul-hub with a pending migration: status $rc"
grep -q 'migration is pending (first: 0007_roles.sql).*run `simpulctl migrate` as the schema owner (simpul_admin)' "$IT_DIR/log/hub2.log" &&
    it_pass "it says which migration and what to run" ||
    it_fail "hub2's message: $(tail -n 3 "$IT_DIR/log/hub2.log")"
it_assert_eq "$(as admin "select count(*) from schema_migration where version = 7")" 0 "it applied nothing"
# The owner's role with [postgres] migrate = off only checks, too.
hub_conf hub3 '[postgres]' 'migrate = off'
SIMPUL_PG=$ADMIN_PG it_as hub timeout 30 "$SIMPUL_BIN/simpul-hub" -c "$IT_DIR/hub3.conf" >"$IT_DIR/log/hub3.log" 2>&1
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
    grep -q 'pending (first: 0007_roles.sql).*(\[postgres\] migrate = off)' "$IT_DIR/log/hub3.log" &&
    it_pass "simpul-hub as simpul_admin with migrate = off refuses too ($rc)" ||
    it_fail "simpul-hub with migrate = off: status $rc: $(tail -n 2 "$IT_DIR/log/hub3.log")"
it_assert_eq "$(as admin "select count(*) from schema_migration where version = 7")" 0 "still nothing applied"
as admin "insert into schema_migration (version, name) values (7, '0007_roles.sql')" >/dev/null
SIMPUL_PG=$ADMIN_PG "$CTL" migrate --status -c "$IT_DIR/hub2.conf" >/dev/null
it_assert_eq "$?" 0 "simpulctl migrate --status: nothing pending again"

it_done
