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

#endif
