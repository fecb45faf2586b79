#!/usr/bin/env bash
#
# test_broker_security.sh: deploy/broker-setup and the default, secure
# "deploy/stack up". The broker must speak TLS only, refuse anonymous clients, wrong
# passwords and plain TCP, and enforce the roles' ACLs: an adapter publishes
# only under its own OPD's ingest subtree, an operator only commands as "cc",
# an OPD system only as its OPD, and nobody but the hub reads $SYS. With
# require_certificate a client certificate from another CA is refused.
#
# Refused publishes: with MQTT v5 and QoS 1 the broker answers a PUBACK with
# reason "Not authorized" (mosquitto_pub prints it); what decides is that
# nothing reaches a subscriber allowed to read the topic. A subscriber's log
# is read only after a later, allowed marker message has arrived there: the
# broker handles one publish after the other, so a leaked message would be
# in the log before the marker.
#
# Clients log in with it_as (lib.sh): their passwords come from options
# files, never from the command line. test_secure_daemons.sh checks the
# same rules with the real daemons.

. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

SETUP=$SIMPUL_SRC/deploy/broker-setup

it_setup
SEC=$IT_DIR/security
P=$SIMPUL_MQTT_PORT

# The stack is secure by default; switching a running broker to plain is
# refused rather than pretended.
if "$IT_STACK" up --insecure "$IT_DIR" >/dev/null 2>&1; then
	it_fail "up --insecure on a running secure broker is refused"
else
	it_pass "up --insecure on a running secure broker is refused"
fi
it_assert_eq "$SIMPUL_MQTT_URI" "ssl://127.0.0.1:$P" "SIMPUL_MQTT_URI is ssl:// by default"
it_assert_eq "$SIMPUL_MQTT_CA" "$SEC/ca.crt" "SIMPUL_MQTT_CA"
it_assert_eq "$(grep -c '^listener ' "$IT_DIR/mosquitto/mosquitto.conf")" 2 \
    "the secure broker has two listeners"
it_assert_eq "$(grep -c '^allow_anonymous true' "$IT_DIR/mosquitto/mosquitto.conf")" 0 \
    "no anonymous access in the secure mosquitto.conf"
it_assert_eq "$(stat -c %a "$SEC/ca.key")/$(stat -c %a "$SEC/server.key")/$(stat -c %a "$SEC/clients/hub.key")/$(stat -c %a "$SEC/passwords/hub")" \
    600/600/600/600 "keys and passwords are 0600"
it_assert_eq "$(openssl x509 -in "$SEC/clients/adapter-dishub.crt" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')" \
    adapter-dishub "a client certificate's CN is the client name"
if openssl verify -CAfile "$SEC/ca.crt" "$SEC/server.crt" "$SEC/clients/operator.crt" >/dev/null 2>&1; then
	it_pass "server and client certificates verify against the CA"
else
	it_fail "server and client certificates verify against the CA"
fi
if openssl x509 -in "$SEC/server.crt" -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1'; then
	it_pass "the server certificate's SAN holds 127.0.0.1"
else
	it_fail "the server certificate's SAN holds 127.0.0.1"
fi

# --- helpers --------------------------------------------------------------------

pass_of()
{
	it_mqtt_password "$1" | tr -d '\n'
}

# pub USER TOPIC MSG [extra args]: QoS 1, MQTT v5; prints mosquitto_pub's
# messages, returns its status.
pub()
{
	local u=$1 t=$2 m=$3

	shift 3
	it_as "$u" mosquitto_pub -V 5 -q 1 -t "$t" -m "$m" "$@" 2>&1
}

# opts NAME LINES...: an options directory for the mosquitto clients
# (XDG_CONFIG_HOME) holding LINES, for the logins it_as does not make.
opts()
{
	local d=$IT_DIR/opts/$1

	shift
	mkdir -p -m 0700 "$d"
	printf '%s\n' "$@" >"$d/mosquitto_pub"
	cp -f "$d/mosquitto_pub" "$d/mosquitto_sub"
	echo "$d"
}

# sub NAME USER TOPIC...: a background subscriber printing "topic payload"
# lines into $IT_DIR/log/NAME.log.
sub()
{
	local name=$1 u=$2 a=() t

	shift 2
	for t in "$@"; do a+=(-t "$t"); done
	it_spawn "$name" it_as "$u" mosquitto_sub -V 5 -q 1 -v "${a[@]}" >/dev/null
}

has_line()
{
	grep -qxF -- "$2" "$IT_DIR/log/$1.log"
}

# marker NAME USER TOPIC: publish a fresh marker as USER until subscriber
# NAME has it (the subscription is in place and everything before it was
# delivered).
MARK=0
marker()
{
	local name=$1 u=$2 t=$3 end=$((SECONDS + 15))

	MARK=$((MARK + 1))
	while :; do
		pub "$u" "$t" "mark-$MARK" >/dev/null
		sleep 0.2
		has_line "$name" "$t mark-$MARK" && return 0
		[ "$SECONDS" -lt "$end" ] || break
	done
	it_fail "marker $MARK from $u on $t did not reach $name"
	return 1
}

# refused USER TOPIC MSG SUBSCRIBER DESCRIPTION: the publish is refused and
# does not reach the subscriber (checked after the next marker).
refused()
{
	local out

	out=$(pub "$1" "$2" "$3")
	if printf '%s' "$out" | grep -q 'Not authorized'; then
		it_pass "$5: the broker answers Not authorized"
	else
		it_fail "$5: the broker answers Not authorized (got '$out')"
	fi
	REFUSED_SUB=$4
	REFUSED_LINE="$2 $3"
}

not_delivered()
{
	if has_line "$REFUSED_SUB" "$REFUSED_LINE"; then
		it_fail "$1: '$REFUSED_LINE' reached $REFUSED_SUB"
	else
		it_pass "$1: nothing reached $REFUSED_SUB"
	fi
}

# --- connections ------------------------------------------------------------------

out=$(mosquitto_pub -V 5 -h 127.0.0.1 -p "$P" --cafile "$SEC/ca.crt" -q 1 -t karo/ev/dishub/x/y -m anon 2>&1)
it_assert_ne "$?" 0 "an anonymous connection is refused"
it_assert_eq "$(printf '%s' "$out" | grep -c 'Not authorized')" 1 "... as Not authorized"
mosquitto_pub -V 5 -h 127.0.0.1 -p "$P" --cafile "$SEC/ca.crt" -u adapter-dishub -P wrong \
    -q 1 -t karo/ev/dishub/x/y -m wrongpw >/dev/null 2>&1
it_assert_ne "$?" 0 "a wrong password is refused"
XDG_CONFIG_HOME=$(opts plain "-h 127.0.0.1" "-p $P" "-u adapter-dishub" "-P $(pass_of adapter-dishub)") \
    mosquitto_pub -V 5 -q 1 -t karo/ev/dishub/x/y -m plain >/dev/null 2>&1
it_assert_ne "$?" 0 "plain TCP to the TLS port fails"

OTHER=$IT_DIR/other-ca
mkdir -p "$OTHER"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$OTHER/ca.key" -out "$OTHER/ca.crt" -days 2 -subj /CN=other-ca >/dev/null 2>&1 ||
    it_die "cannot make a second CA"
pub hub karo/hub/x wrong-ca --cafile "$OTHER/ca.crt" >/dev/null
it_assert_ne "$?" 0 "a client trusting another CA does not connect (server verification fails)"
pub hub karo/hub/x right-ca >/dev/null
it_assert_eq "$?" 0 "the hub user connects and publishes on its own subtree"

# The WebSockets listener speaks TLS with the same server certificate and
# upgrades to the mqtt subprotocol.
ws=$( (printf 'GET /mqtt HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n'; sleep 2) |
    timeout 10 openssl s_client -quiet -verify_return_error -connect "127.0.0.1:$SIMPUL_MQTT_WS_PORT" \
    -CAfile "$SEC/ca.crt" 2>/dev/null | head -n 1 | tr -d '\r')
it_assert_eq "$ws" "HTTP/1.1 101 Switching Protocols" "the TLS WebSockets listener upgrades (port $SIMPUL_MQTT_WS_PORT)"

# --- adapters ---------------------------------------------------------------------

sub hub-ev hub 'karo/ev/#' 'karo/cmd/+/case/+'
marker hub-ev adapter-dishub karo/ev/dishub/gps/ready
refused adapter-dishub karo/ev/bpkad/sppidol/sp2d.issued spoofed hub-ev \
    "the dishub adapter publishing under karo/ev/bpkad"
pub adapter-dishub karo/ev/dishub/gps/gps.position own >/dev/null
it_assert_eq "$?" 0 "the dishub adapter publishes under karo/ev/dishub"
marker hub-ev adapter-bpkad karo/ev/bpkad/sppidol/ready
not_delivered "the dishub adapter's spoofed bpkad event"
if has_line hub-ev "karo/ev/dishub/gps/gps.position own"; then
	it_pass "the adapter's own event reached the hub"
else
	it_fail "the adapter's own event reached the hub"
fi
refused adapter-dishub karo/cmd/cc/case/verify '{"case":"x"}' hub-ev "an adapter sending a case command"
refused hub karo/ev/dishub/gps/forged forged hub-ev "the hub user forging an ingest event"
marker hub-ev adapter-dishub karo/ev/dishub/gps/ready
not_delivered "the forged event"

# An adapter serving several OPDs (the stack's gps: dishub, diskominfo,
# bpbd, satpolpp) publishes for each of them and for no other.
pub gps karo/ev/satpolpp/gps/gps.position multi >/dev/null
it_assert_eq "$?" 0 "the gps adapter publishes for satpolpp, one of its OPDs"
refused gps karo/ev/dinkes/gps/gps.position not-its-opd hub-ev "the gps adapter publishing for dinkes"
marker hub-ev adapter-dishub karo/ev/dishub/gps/ready
not_delivered "the gps adapter's dinkes event"
# admin (load generators, dead-letter replay) publishes any OPD's events
# but sends no commands.
pub admin karo/ev/bpkad/sppidol/sp2d.issued replayed >/dev/null
it_assert_eq "$?" 0 "admin publishes an event of any OPD"
refused admin karo/cmd/cc/case/verify '{"case":"x"}' hub-ev "admin sending a command"
marker hub-ev adapter-dishub karo/ev/dishub/gps/ready
not_delivered "admin's command"
it_assert_ok "admin's event reached the hub" has_line hub-ev "karo/ev/bpkad/sppidol/sp2d.issued replayed"
# console (simpul-console) replays dead letters into any OPD's ingest
# topic and reads the hubs' status, nothing else: no events, no feeds, no
# commands.
pub console karo/ev/dishub/pengaduan/complaint.created console-replay >/dev/null
it_assert_eq "$?" 0 "the console replays an event on its ingest topic"
refused console karo/cmd/cc/case/verify '{"case":"y"}' hub-ev "the console sending a command"
marker hub-ev adapter-dishub karo/ev/dishub/gps/ready
not_delivered "the console's command"
it_assert_ok "the console's replay reached the hub" has_line hub-ev "karo/ev/dishub/pengaduan/complaint.created console-replay"
pub hub karo/hub/status/it-console online -r >/dev/null
pub hub karo/feed/it-console routed -r >/dev/null
it_assert_eq "$(it_as console mosquitto_sub -V 5 -t karo/hub/status/it-console -C 1 -W 5 2>/dev/null)" online \
    "the console reads a hub's retained status"
it_assert_eq "$(it_as console mosquitto_sub -V 5 -t karo/feed/it-console -C 1 -W 3 2>/dev/null)" "" \
    "the console reads no feed"
pub hub karo/hub/status/it-console '' -r >/dev/null
pub hub karo/feed/it-console '' -r >/dev/null

# $SYS is for the hub (monitoring), not for adapters.
sys=$(it_as adapter-dishub mosquitto_sub -V 5 -t '$SYS/broker/version' -C 1 -W 3 2>/dev/null)
it_assert_eq "$sys" "" "an adapter reads nothing under \$SYS"
sys=$(it_as hub mosquitto_sub -V 5 -t '$SYS/broker/version' -C 1 -W 5 2>/dev/null)
it_assert_eq "${sys%% *}" mosquitto "the hub reads \$SYS/broker/version"

# --- operators and OPD systems -------------------------------------------------------

sub op operator 'karo/ev/#' 'karo/alert/#' 'karo/feed/#' 'karo/resp/cc/#' 'karo/opd/#'
marker op hub karo/alert/high/dishub
it_assert_ok "the operator reads alerts" has_line op "karo/alert/high/dishub mark-$MARK"
pub hub karo/feed/lalu-lintas jam >/dev/null
pub hub karo/resp/cc/console-1 answer >/dev/null
pub adapter-dishub karo/ev/dishub/gps/secret event >/dev/null
pub hub karo/opd/dinkes/inbox/x routed >/dev/null
marker op hub karo/alert/high/dishub
it_assert_ok "the operator reads feeds" has_line op "karo/feed/lalu-lintas jam"
it_assert_ok "the operator reads its answers" has_line op "karo/resp/cc/console-1 answer"
if has_line op "karo/ev/dishub/gps/secret event" || has_line op "karo/opd/dinkes/inbox/x routed"; then
	it_fail "the operator reads neither ingest events nor OPD inboxes"
else
	it_pass "the operator reads neither ingest events nor OPD inboxes"
fi

pub operator karo/cmd/cc/case/verify '{"case":"KRO-1"}' >/dev/null
it_assert_eq "$?" 0 "the operator publishes a command as cc"
refused operator karo/cmd/dishub/case/acknowledge '{"case":"KRO-1"}' hub-ev \
    "the operator commanding as dishub"
marker hub-ev adapter-dishub karo/ev/dishub/gps/ready
not_delivered "the operator's command as dishub"
it_assert_ok "the operator's command as cc reached the hub" \
    has_line hub-ev 'karo/cmd/cc/case/verify {"case":"KRO-1"}'
refused operator karo/cmd/cc-supervisor/case/reopen '{"case":"KRO-1"}' hub-ev \
    "the operator commanding as cc-supervisor"
refused operator karo/ev/dishub/gps/gps.position injected hub-ev "the operator ingesting an event"
marker hub-ev adapter-dishub karo/ev/dishub/gps/ready
not_delivered "the operator's event"

# The subscriptions to other OPDs' inboxes and answers are refused at
# SUBSCRIBE already; the broker would not deliver them either.
sub dinkes opd-dinkes karo/opd/dinkes/# karo/opd/dishub/# karo/resp/dinkes/# karo/resp/cc/#
marker dinkes hub karo/opd/dinkes/inbox/ready
pub hub karo/opd/dishub/inbox/x not-yours >/dev/null
pub hub karo/resp/cc/console-1 not-yours >/dev/null
marker dinkes hub karo/opd/dinkes/inbox/ready
if has_line dinkes "karo/opd/dishub/inbox/x not-yours" || has_line dinkes "karo/resp/cc/console-1 not-yours"; then
	it_fail "the dinkes system reads only its own inbox and answers"
else
	it_pass "the dinkes system reads only its own inbox and answers"
fi
pub opd-dinkes karo/cmd/dinkes/case/acknowledge '{"case":"KRO-2"}' >/dev/null
refused opd-dinkes karo/cmd/cc/case/close '{"case":"KRO-2"}' hub-ev "the dinkes system commanding as cc"
marker hub-ev adapter-dishub karo/ev/dishub/gps/ready
not_delivered "the dinkes system's command as cc"
it_assert_ok "the dinkes system's command as dinkes reached the hub" \
    has_line hub-ev 'karo/cmd/dinkes/case/acknowledge {"case":"KRO-2"}'

# --- restart and idempotence --------------------------------------------------------

ca_sum=$(md5sum <"$SEC/ca.crt")
hub_pw=$(pass_of hub)
it_assert_ok "mqtt-stop" "$IT_STACK" mqtt-stop "$IT_DIR"
it_assert_ok "mqtt-start keeps the secure broker" "$IT_STACK" mqtt-start "$IT_DIR"
it_assert_ok "up on a secure stack keeps it secure" "$IT_STACK" up "$IT_DIR"
# shellcheck source=/dev/null
. "$IT_DIR/stack.env"
it_assert_eq "$(md5sum <"$SEC/ca.crt")/$(pass_of hub)/$SIMPUL_MQTT_URI" "$ca_sum/$hub_pw/ssl://127.0.0.1:$P" \
    "after a restart: same CA, same passwords, still ssl://"
mosquitto_pub -V 5 -h 127.0.0.1 -p "$P" -q 1 -t x -m plain >/dev/null 2>&1
it_assert_ne "$?" 0 "after a restart plain TCP still fails"
pub hub karo/hub/x after-restart >/dev/null
it_assert_eq "$?" 0 "after a restart the hub user connects"

# --- broker-setup on its own: bad input, require_certificate --------------------------

bad=$IT_DIR/bad.list
printf 'evil adapter cc\n' >"$bad"
"$SETUP" --clients "$bad" --out "$IT_DIR/bad" >/dev/null 2>&1
it_assert_ne "$?" 0 "broker-setup refuses an adapter for the OPD 'cc'"
printf 'a hub\na adapter dishub\n' >"$bad"
"$SETUP" --clients "$bad" --out "$IT_DIR/bad" >/dev/null 2>&1
it_assert_ne "$?" 0 "broker-setup refuses a client listed twice"
printf 'a hub\nb adapter "x y"\n' >"$bad"
"$SETUP" --clients "$bad" --out "$IT_DIR/bad" >/dev/null 2>&1
it_assert_ne "$?" 0 "broker-setup refuses a malformed OPD"

# A second broker, TLS with require_certificate true.
C2=$IT_DIR/mq2
it_cert_broker "$C2" 'hub hub
adapter-dishub adapter dishub'
P2=$IT_CB_PORT W2=$IT_CB_WS_PORT
owner=("${IT_CB_OWNER[@]}")
it_assert_eq "$(grep -c '^require_certificate true' "$C2/sec/mosquitto-tls.conf")" 2 \
    "--require-certificate sets require_certificate true on both listeners"

O2=$(opts mq2 "-h 127.0.0.1" "-p $P2" "--cafile $C2/sec/ca.crt" "-u adapter-dishub" \
    "-P $(head -n 1 "$C2/sec/passwords/adapter-dishub")")
pub2()
{
	XDG_CONFIG_HOME=$O2 mosquitto_pub -V 5 -q 1 -t karo/ev/dishub/x/y -m m "$@" >/dev/null 2>&1
}
pub2 --cert "$C2/sec/clients/adapter-dishub.crt" --key "$C2/sec/clients/adapter-dishub.key"
it_assert_eq "$?" 0 "require_certificate: a client certificate of the broker's CA is accepted"
pub2
it_assert_ne "$?" 0 "require_certificate: a client without a certificate is refused"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$OTHER/c.key" \
    -out "$OTHER/c.csr" -subj /CN=adapter-dishub >/dev/null 2>&1 &&
    openssl x509 -req -in "$OTHER/c.csr" -CA "$OTHER/ca.crt" -CAkey "$OTHER/ca.key" \
    -CAcreateserial -days 1 -out "$OTHER/c.crt" >/dev/null 2>&1 || it_die "cannot sign with the second CA"
pub2 --cert "$OTHER/c.crt" --key "$OTHER/c.key"
it_assert_ne "$?" 0 "require_certificate: a client certificate from another CA is refused"
pub2 --cert "$SEC/clients/adapter-dishub.crt" --key "$SEC/clients/adapter-dishub.key"
it_assert_ne "$?" 0 "require_certificate: a certificate of the stack's (other) CA is refused"

# Idempotence: a second run keeps the CA, certificates and passwords.
sums()
{
	md5sum "$C2/sec/ca.crt" "$C2/sec/server.crt" "$C2/sec/clients/hub.crt" "$C2/sec/passwords/hub" | awk '{ print $1 }'
}
before=$(sums)
"$SETUP" --clients "$C2/clients.list" --out "$C2/sec" --host localhost --bind 127.0.0.1 \
    --port "$P2" --ws-port "$W2" --require-certificate "${owner[@]}" >>"$IT_DIR/log/setup2.log" 2>&1
it_assert_eq "$(sums)" "$before" "broker-setup run twice keeps CA, certificates and passwords"
"$SETUP" --clients "$C2/clients.list" --out "$C2/sec" --host localhost --force \
    --port "$P2" --ws-port "$W2" >>"$IT_DIR/log/setup2.log" 2>&1
after=$(sums)
it_assert_ne "$(echo "$after" | head -n 3)" "$(echo "$before" | head -n 3)" "--force makes a new CA and certificates"
it_assert_eq "$(echo "$after" | tail -n 1)" "$(echo "$before" | tail -n 1)" "--force keeps the passwords"

it_done
