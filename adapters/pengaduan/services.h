/*
 * services: the catalogue the pengaduan adapter serves, read from its
 * config file: the Open311 services (complaint categories) with their
 * attributes, and the API clients allowed to submit requests.
 *
 *   [service jalan]                 one Open311 service; its code is "jalan"
 *   name = Jalan rusak              service_name (required)
 *   description = Jalan berlubang, longsor, jembatan rusak
 *   group = infrastruktur
 *   keywords = jalan, lubang, aspal, jembatan
 *   category = jalan_rusak          the event's category (default: the code)
 *   notice = Ditindaklanjuti Dinas PUPR dalam 5 hari kerja
 *
 *   [attribute jalan kerusakan]     attribute "kerusakan" of service jalan
 *   datatype = singlevaluelist      string number datetime text
 *                                   singlevaluelist multivaluelist
 *   required = yes
 *   description = Tingkat kerusakan
 *   value = ringan Rusak ringan     "key name", one line per value
 *   value = berat Rusak berat
 *
 *   [client kominfo-web]            one API client
 *   key = 2f6c0d9e7a1b4c58a3e9     its api_key (16..128 characters)
 *   channel = web                   the events' channel (default open311)
 *
 * services_conf() takes these sections key by key from conf_load()'s
 * "other" callback; services_check() then checks what spans keys. After
 * that the catalogue is read-only and may be shared by threads.
 *
 * A service "has metadata" (Open311) when it has attributes; clients then
 * fetch GET services/<code>.json. Attributes a service does not define are
 * refused in requests, so a client's typo is an error, not lost data.
 */
#ifndef SIMPUL_SERVICES_H
#define SIMPUL_SERVICES_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "open311_form.h"

#define SERVICES_MAX 256
#define SERVICES_CLIENTS_MAX 256
#define SERVICES_VALUES_MAX 100		/* values of one list attribute */
#define SERVICES_KEY_MIN 16		/* api_key length, characters */
#define SERVICES_KEY_MAX 128

struct services;
struct service;

struct services_client {
	const char *name;	/* the section name: [client <name>] */
	const char *channel;	/* web, open311, whatsapp, lapor, phone */
};

struct services *services_new(void);
void services_free(struct services *s);

/*
 * Takes one key of a [service ...], [attribute ...] or [client ...]
 * section. Returns 0, 1 when the section is none of these (the caller
 * reports it), or -1 with a message in err.
 */
int services_conf(struct services *s, const char *section, const char *name,
    const char *value, char *err, size_t errlen);

/*
 * Checks what spans keys (every service has a name, attributes belong to
 * a service, list attributes have values, client keys are unique). Logs
 * each problem as "path: message"; returns how many there were.
 */
int services_check(struct services *s, const char *path);

size_t services_count(const struct services *s);
const struct service *services_find(const struct services *s,
    const char *code);

const char *services_code(const struct service *sv);
const char *services_name(const struct service *sv);
const char *services_category(const struct service *sv);
/* The service_notice for requests of this service, or NULL. */
const char *services_notice(const struct service *sv);

/* GET services.json: the array of every service. */
cJSON *services_list_json(const struct services *s);
/* GET services/<code>.json: the service definition. */
cJSON *services_definition_json(const struct service *sv);

/*
 * Checks a request's attributes against the service's definitions: each
 * given attribute is defined and an input (variable), its value fits its
 * datatype (number, datetime, a listed key), and each required attribute
 * is there. Returns 0, or -1 with a message for the client in err.
 */
int services_check_request(const struct service *sv,
    const struct open311_request *r, char *err, size_t errlen);

/*
 * The service an SMS names with its first word, as SMS complaint lines are
 * written ("JALAN rusak di Kabanjahe", "LAPOR#SAMPAH#..."): the first word
 * (after an optional "LAPOR" or "ADU"), compared without case to each
 * service code (with '-' or '_' alike) and then to each keyword. NULL when
 * none matches.
 */
const struct service *services_match(const struct services *s,
    const char *text);

/*
 * The client whose api_key this is, or NULL. Compares in time that does
 * not depend on where a key differs.
 */
const struct services_client *services_client_find(const struct services *s,
    const char *api_key);
size_t services_client_count(const struct services *s);

/* An example catalogue for -D (a comment block plus sections). */
extern const char services_example[];

#endif
