#!/usr/bin/env bash
# A load of 50,000 events while the hub is killed with SIGKILL at least five
# times and restarted: afterwards exactly 50,000 distinct rows, none missing.
# Paho acknowledges a message when the callback returns, and the callback
# journals first: a kill at any moment loses nothing acknowledged, and the
# broker redelivers what was not.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
it_setup

hub_conf hub1
hub_start hub1
loadgen_start load --count 50000 --rate 4000 --prefix crash

kills=0
while it_alive "$LOAD_PID" || [ $kills -lt 5 ]; do
	sleep "0.$((RANDOM % 9 + 5))"
	it_kill "$HUB_PID" KILL
	kills=$((kills + 1))
	hub_start hub1
	[ $kills -ge 20 ] && break
done
it_log "killed the hub $kills times"
it_assert_ok "killed at least 5 times" test "$kills" -ge 5
loadgen_wait "$LOAD_PID" 300 && it_pass "loadgen got every PUBACK"

it_sql_wait 180 "select count(*) from event where id like 'crash-%'" 50000
assert_exact_ids crash 50000 "after $kills SIGKILLs"
it_assert_eq "$(it_sql "select count(*) from dead_letter")" 0 "no message became a dead letter"
it_done
