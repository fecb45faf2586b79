#!/usr/bin/env bash
#
# test_scaleout.sh: two hubs, h1 and h2, on one database and one broker,
# sharing the ingest subscription ([hub] group = g, $share/g/karo/ev/#),
# each with its own journal and /metrics port. simpul-loadgen publishes
# 100,000 events; mid-load h2 is killed with SIGKILL twice and comes back
# under its own instance name and client id (Mosquitto keeps queuing an
# offline member's share for that id; docs/hub.md "Subscriptions and
# scale-out").
#
# Afterwards: exactly 100,000 rows, every id once, none missing, no dead
# letter. The /metrics counter simpul_events_stored_total restarts with each
# process, so it is scraped over the life of every process: h2 right before
# each kill, both hubs at the end. Each process life is also counted in the
# table (event.instance, and event.stored_at against the PostgreSQL clock
# taken between a kill and the restart):
#
#  - for a life scraped at its end (h1; h2's last life) the counter equals
#    the rows it stored;
#  - for a killed life the counter is at most the rows it stored: what it
#    committed between the scrape and the SIGKILL is in the table but in no
#    scrape. The sum of the counters plus those rows is 100,000.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"

N=100000
KILLS=2
for b in simpul-hub simpul-loadgen; do
	[ -x "$SIMPUL_BIN/$b" ] || { echo "test_scaleout: $b not built" >&2; exit 1; }
done

it_setup

# port NAME: the /metrics port of NAME's latest process.
port()
{
	sed -n 's/.*httpd: hub: serving .* port \([0-9]*\).*/\1/p' "$IT_DIR/log/$1.log" | tail -n 1
}

# stored NAME: simpul_events_stored_total of NAME's running process, or
# nothing if it does not answer.
stored()
{
	curl -s --max-time 5 "http://127.0.0.1:$(port "$1")/metrics" |
	    awk '$1 == "simpul_events_stored_total" { print $2 }'
}

# start NAME: hub_start, then wait for this process's /metrics.
start()
{
	local before

	before=$(grep -c 'httpd: hub: serving' "$IT_DIR/log/$1.log" 2>/dev/null || true)
	hub_start "$1"
	it_wait_for 30 "$1's /metrics" bash -c \
	    "[ \$(grep -c 'httpd: hub: serving' '$IT_DIR/log/$1.log') -gt ${before:-0} ]"
}

for h in h1 h2; do
	hub_conf "$h" '[hub]' 'group = g' '[http]' 'listen = 127.0.0.1:0'
done
start h1
H1_PID=$HUB_PID
start h2
H2_PID=$HUB_PID

loadgen_start load --count "$N" --rate 5000 --prefix so --quiet

# Lives of h2: the PostgreSQL time at which each began (taken after the
# previous process is gone; the first life has no lower bound), and the
# counter scraped right before each kill.
BOUNDS=(-infinity)
SCRAPES=()
for ((k = 1; k <= KILLS; k++)); do
	sleep 5
	it_alive "$LOAD_PID" || it_fail "the load ended before kill $k; raise the count or lower the rate"
	v=$(stored h2)
	[ -n "$v" ] || it_fail "h2's /metrics did not answer before kill $k"
	it_kill "$H2_PID" KILL
	SCRAPES+=("${v:-0}")
	BOUNDS+=("$(it_sql "select clock_timestamp()")")
	it_log "kill $k: h2 had stored $v events at its last scrape"
	start h2
	H2_PID=$HUB_PID
done
it_pass "h2 killed with SIGKILL $KILLS times mid-load and restarted as h2"
loadgen_wait "$LOAD_PID" 300 && it_pass "loadgen got every PUBACK for $N events"

it_sql_wait 180 "select count(*) from event where id like 'so-%'" "$N"
assert_exact_ids so "$N" "two hubs, h2 killed $KILLS times"
it_assert_eq "$(it_sql "select count(*) from dead_letter")" 0 "no dead letters"
it_assert_eq "$(it_sql "select count(*) from event where id like 'so-%' and instance not in ('h1', 'h2')")" 0 "stored by h1 and h2 only"
# Rows are visible at the commit, the counter moves right after it: the
# counters of the running processes must come to equal their rows.
rows_h1=$(it_sql "select count(*) from event where id like 'so-%' and instance = 'h1'")
last=${BOUNDS[$KILLS]}
rows_h2=$(it_sql "select count(*) from event where id like 'so-%' and instance = 'h2' and stored_at > '$last'")
it_wait_for 30 "h1's counter to reach $rows_h1" bash -c "[ \"\$(curl -s --max-time 5 http://127.0.0.1:$(port h1)/metrics |
    awk '\$1 == \"simpul_events_stored_total\" { print \$2 }')\" = $rows_h1 ]"
it_wait_for 30 "h2's counter to reach $rows_h2" bash -c "[ \"\$(curl -s --max-time 5 http://127.0.0.1:$(port h2)/metrics |
    awk '\$1 == \"simpul_events_stored_total\" { print \$2 }')\" = $rows_h2 ]"
H1_FINAL=$(stored h1)
H2_FINAL=$(stored h2)
it_assert_eq "$H1_FINAL" "$rows_h1" "h1's counter equals the rows it stored"
it_assert_eq "$H2_FINAL" "$rows_h2" "h2's last life: its counter equals the rows it stored"
sum=$((H1_FINAL + H2_FINAL))
unscraped=0
for ((k = 0; k < KILLS; k++)); do
	life=$(it_sql "select count(*) from event where id like 'so-%' and instance = 'h2'
	    and stored_at > '${BOUNDS[$k]}' and stored_at <= '${BOUNDS[$((k + 1))]}'")
	it_assert_ok "h2's life $((k + 1)): counter ${SCRAPES[$k]} <= its $life rows" test "${SCRAPES[$k]}" -le "$life"
	echo "# h2 life $((k + 1)): $life rows stored, ${SCRAPES[$k]} counted at the last scrape, $((life - SCRAPES[k])) committed between that scrape and the SIGKILL"
	sum=$((sum + SCRAPES[k]))
	unscraped=$((unscraped + life - SCRAPES[k]))
done
echo "# counters: h1 $H1_FINAL, h2 ${SCRAPES[*]} $H2_FINAL; sum $sum; stored after a last scrape $unscraped"
it_assert_eq "$((sum + unscraped))" "$N" "the counters plus what killed lives stored after their last scrape make $N"
it_assert_ok "both hubs took a share (h1 $rows_h1)" test "$rows_h1" -gt 0 -a "$rows_h1" -lt "$N"
it_assert_ok "h1 ran throughout" it_alive "$H1_PID"
it_done
