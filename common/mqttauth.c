/*
 * mqttauth: see mqttauth.h. The one place that fills MQTTAsync_SSLOptions;
 * the programs' MQTT modules call it instead.
 */
#include "mqttauth.h"

#include <stdint.h>

#include "log.h"

/*
 * Paho calls this for each OpenSSL error of a handshake; u is the URI.
 * OpenSSL's strings end in a newline, which a key=value log line must not.
 */
static int
on_tls_error(const char *str, size_t len, void *u)
{
	while (len > 0 && (str[len - 1] == '\n' || str[len - 1] == '\r'))
		len--;
	log_warnx("mqtt: tls uri=%s error=\"%.*s\"", (const char *)u,
	    (int)(len > 512 ? 512 : len), str);
	return 0;
}

static void
on_paho_trace(enum MQTTASYNC_TRACE_LEVELS level, char *message)
{
	/* Paho prints a banner at a lower level when tracing starts. */
	if (level >= MQTTASYNC_TRACE_ERROR)
		log_warnx("paho: %s", message);
}

void
mqtt_trace_errors(void)
{
	MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
	MQTTAsync_setTraceCallback(on_paho_trace);
}

void
mqtt_auth_apply(const struct mqtt_auth *a, MQTTAsync_connectOptions *co,
    MQTTAsync_SSLOptions *ssl)
{
	co->username = a->username;
	co->password = a->password;
	if (!mqtt_conf_is_tls(a->uri) && a->ca_file == NULL)
		return;
	ssl->trustStore = a->ca_file;
	ssl->keyStore = a->cert_file;
	ssl->privateKey = a->key_file;
	ssl->enableServerCertAuth = 1;
	/* Checks that the certificate names the host we asked for. */
	ssl->verify = 1;
	ssl->sslVersion = MQTT_SSL_VERSION_TLS_1_2;
	ssl->ssl_error_cb = on_tls_error;
	/* A string literal or the caller's URI: Paho keeps only the pointer. */
	ssl->ssl_error_context = (void *)(uintptr_t)a->uri;
	co->ssl = ssl;
}
