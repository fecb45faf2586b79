/*
 * mqttconf: the broker settings every Simpul MQTT client (the hub, the
 * adapters, simpulctl, simpul-loadgen) takes, with the same names, the same
 * environment overrides and the same checks in every program.
 *
 * The settings, in each program's [mqtt] section (MQTT_AUTH_CONF_KEYS):
 *
 *   uri            tcp://host:port, or ssl://host:port for TLS
 *   username       broker user name
 *   password       the password itself (better: password_file)
 *   password_file  a file whose first line is the password
 *   ca_file        CA (PEM) that signed the broker's certificate
 *   cert_file      client certificate (PEM), when the broker asks for one
 *   key_file       the client certificate's private key (PEM)
 *
 * and the environment overrides (MQTT_AUTH_ENV_ROWS), which are what
 * deploy/stack's stack.env sets: SIMPUL_MQTT_URI, SIMPUL_MQTT_CA,
 * SIMPUL_MQTT_USERNAME, SIMPUL_MQTT_PASSWORD, SIMPUL_MQTT_PASSWORD_FILE.
 * When a user name is set but neither password nor password_file, the
 * password is taken from SIMPUL_MQTT_PASS_<USER> (user name upper case, '-'
 * as '_'), the variable stack.env exports for each of its clients: a
 * process that sourced stack.env needs only to be told who it is.
 *
 * Passwords are never logged and never taken from the command line.
 *
 * No Paho here: mqttauth.h turns these settings into Paho's options.
 */
#ifndef SIMPUL_MQTTCONF_H
#define SIMPUL_MQTTCONF_H

#include "conf.h"

/*
 * Rows of a conf_key table (conf.h) for a config struct with the fields
 * mqtt_uri, mqtt_username, mqtt_password, mqtt_password_file,
 * mqtt_ca_file, mqtt_cert_file and mqtt_key_file (all char *); OFF is the
 * table's offsetof macro.
 */
#define MQTT_AUTH_CONF_KEYS(OFF)					\
	{ "mqtt", "uri", CONF_STR, "tcp://127.0.0.1:1883", 0, 0,	\
	    OFF(mqtt_uri), "Broker URI: tcp://HOST:PORT, or "		\
	    "ssl://HOST:PORT for TLS; env SIMPUL_MQTT_URI overrides" },	\
	{ "mqtt", "username", CONF_STR, NULL, 0, 0, OFF(mqtt_username),	\
	    "User name for the broker; env SIMPUL_MQTT_USERNAME "	\
	    "overrides" },						\
	{ "mqtt", "password", CONF_STR, NULL, 0, 0, OFF(mqtt_password),	\
	    "Password for the broker; prefer password_file. Env "	\
	    "SIMPUL_MQTT_PASSWORD overrides; with neither, "		\
	    "SIMPUL_MQTT_PASS_<USERNAME> is used if set" },		\
	{ "mqtt", "password_file", CONF_STR, NULL, 0, 0,		\
	    OFF(mqtt_password_file),					\
	    "File whose first line is the broker password (keep it "	\
	    "0600); env SIMPUL_MQTT_PASSWORD_FILE overrides" },		\
	{ "mqtt", "ca_file", CONF_STR, NULL, 0, 0, OFF(mqtt_ca_file),	\
	    "CA certificate (PEM) that signed the broker's "		\
	    "certificate; with ssl:// and no ca_file the system's "	\
	    "trust store is used. Env SIMPUL_MQTT_CA overrides" },	\
	{ "mqtt", "cert_file", CONF_STR, NULL, 0, 0, OFF(mqtt_cert_file),\
	    "Client certificate (PEM) for brokers that require one" },	\
	{ "mqtt", "key_file", CONF_STR, NULL, 0, 0, OFF(mqtt_key_file),	\
	    "Private key (PEM) of the client certificate" }

/* Rows of a conf_env table (conf.h) for the keys above. */
#define MQTT_AUTH_ENV_ROWS						\
	{ "SIMPUL_MQTT_URI", "mqtt", "uri" },				\
	{ "SIMPUL_MQTT_USERNAME", "mqtt", "username" },			\
	{ "SIMPUL_MQTT_PASSWORD", "mqtt", "password" },			\
	{ "SIMPUL_MQTT_PASSWORD_FILE", "mqtt", "password_file" },	\
	{ "SIMPUL_MQTT_CA", "mqtt", "ca_file" }

/* A client's resolved settings; the strings are borrowed. */
struct mqtt_auth {
	const char *uri;
	const char *username;  /* NULL: none */
	const char *password;  /* NULL: none */
	const char *ca_file;   /* NULL: system trust store (TLS URIs) */
	const char *cert_file; /* NULL: no client certificate */
	const char *key_file;
};

/*
 * Finds the password of username: password if set, else the first line
 * of password_file, else SIMPUL_MQTT_PASS_<USERNAME>, else none (*out =
 * NULL). *out is the caller's to free. Returns -1 (logged, naming the file
 * but not the password) when password_file cannot be read or is empty.
 */
int mqtt_conf_password(const char *username, const char *password,
    const char *password_file, char **out);

/*
 * Checks before the first connection what would otherwise only show as a
 * failing handshake: the URI's scheme, and that ca_file, cert_file and
 * key_file are readable. Logs each problem ("mqtt: ca_file PATH: ...") and
 * returns -1 if there was one. A password over plain tcp:// to anything
 * but loopback is logged as a warning, not refused.
 */
int mqtt_conf_check(const struct mqtt_auth *a);

/*
 * For a config loaded with MQTT_AUTH_CONF_KEYS: a holds the uri, user name
 * and TLS files; *password (heap, may be NULL) is replaced by the resolved
 * password (mqtt_conf_password), which a->password then points to, and
 * the whole is checked (mqtt_conf_check). Returns the number of errors,
 * each logged.
 */
int mqtt_conf_resolve(struct mqtt_auth *a, char **password,
    const char *password_file);

/* mqtt_conf_resolve() for a config struct with MQTT_AUTH_CONF_KEYS' fields. */
#define MQTT_CONF_RESOLVE(cfg)						\
	mqtt_conf_resolve(&(struct mqtt_auth){ .uri = (cfg)->mqtt_uri,	\
	    .username = (cfg)->mqtt_username,				\
	    .ca_file = (cfg)->mqtt_ca_file,				\
	    .cert_file = (cfg)->mqtt_cert_file,				\
	    .key_file = (cfg)->mqtt_key_file },				\
	    &(cfg)->mqtt_password, (cfg)->mqtt_password_file)

/*
 * The struct mqtt_auth of a config struct with MQTT_AUTH_CONF_KEYS'
 * fields, once MQTT_CONF_RESOLVE() has resolved its password.
 */
#define MQTT_AUTH_OF(cfg)						\
	((struct mqtt_auth){ .uri = (cfg)->mqtt_uri,			\
	    .username = (cfg)->mqtt_username,				\
	    .password = (cfg)->mqtt_password,				\
	    .ca_file = (cfg)->mqtt_ca_file,				\
	    .cert_file = (cfg)->mqtt_cert_file,				\
	    .key_file = (cfg)->mqtt_key_file })

/* 1 if uri is a TLS URI (ssl://, mqtts://, wss://). */
int mqtt_conf_is_tls(const char *uri);

/*
 * Splits a TCP or TLS broker URI (tcp://, mqtt://, ssl://, mqtts://) into
 * host and port, for clients that take them apart (libmosquitto). An IPv6
 * address is written in brackets ("ssl://[::1]:8883") and returned
 * without them; without a port, 1883 (8883 for TLS). Returns -1 for
 * websockets (ws://, wss://), an unknown scheme, an empty or too long
 * host, or a port outside 1..65535.
 */
int mqtt_conf_split_uri(const char *uri, char *host, size_t hostsize,
    int *port);

#endif
