/*
 * mqttauth: turns an MQTT client's broker settings (struct mqtt_auth,
 * mqttconf.h) into Paho's connect and TLS options, the same way for the
 * hub, the adapters, simpulctl and simpul-loadgen. With mqttpub.c (which
 * uses it), the common code that includes Paho.
 */
#ifndef SIMPUL_MQTTAUTH_H
#define SIMPUL_MQTTAUTH_H

#include <MQTTAsync.h>

#include "mqttconf.h"

/*
 * Puts a's user name and password into co and, for a TLS URI (or when a
 * ca_file is set), fills ssl (TLS 1.2, the broker's certificate
 * and host name verified against ca_file) and points co->ssl at it. A TLS
 * failure is logged once per failed handshake as "mqtt: tls uri=...
 * error=..." (e.g. certificate verify failed). Paho keeps pointers into a
 * (uri, user name, password): they must outlive the client; ssl itself is
 * copied by MQTTAsync_connect().
 */
void mqtt_auth_apply(const struct mqtt_auth *a, MQTTAsync_connectOptions *co,
    MQTTAsync_SSLOptions *ssl);

/*
 * Sets Paho's process-wide trace to errors only, each logged as
 * "paho: <message>". Called before creating a client. At its default
 * level Paho formats a line for every packet sent and received into an
 * in-memory trace ring, under one lock for the whole process; nobody
 * reads that ring unless tracing is switched on (MQTT_C_CLIENT_TRACE),
 * and the formatting cost the hub measurable CPU per message (docs/bench.md).
 */
void mqtt_trace_errors(void);

#endif
