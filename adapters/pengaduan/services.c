/*
 * services: see services.h.
 *
 * The catalogue is small (tens of services), so it is kept in plain arrays
 * and searched linearly; nothing here is on a hot path. Sections may come
 * in any order in the file: an [attribute x y] before its [service x]
 * creates the service, and services_check() reports a service that never
 * got its own section (no name).
 */
#include "services.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "text.h"
#include "util.h"

enum attr_type {
	A_STRING, A_NUMBER, A_DATETIME, A_TEXT, A_SINGLE, A_MULTI
};

static const char *const attr_type_names[] = {
	"string", "number", "datetime", "text", "singlevaluelist",
	"multivaluelist",
};

struct attr_value {
	char *key;
	char *name;
};

struct attr {
	char *code;
	enum attr_type type;
	int required;
	int variable;
	long order;
	char *description;
	char *datatype_description;
	struct attr_value values[SERVICES_VALUES_MAX];
	size_t nvalues;
};

struct service {
	char *code;
	char *name;
	char *description;
	char *group;
	char *keywords;
	char *category;
	char *notice;
	struct attr *attrs[OPEN311_ATTRS_MAX];
	size_t nattrs;
};

struct client {
	char *name;
	char *key;
	char *channel;
	struct services_client pub;
};

struct services {
	struct service *sv[SERVICES_MAX];
	size_t n;
	struct client *cl[SERVICES_CLIENTS_MAX];
	size_t ncl;
};

static const char *const client_channels[] = {
	"web", "open311", "whatsapp", "lapor", "phone",
};

const char services_example[] =
"\n"
"; --- The catalogue (see docs/pengaduan.md). One [service <code>] per\n"
"; Open311 service (Karo's complaint categories below), [attribute\n"
"; <service> <code>] for extra fields, and one [client <name>] per API\n"
"; client with its api_key.\n"
";\n"
";[service jalan]\n"
";name = Jalan dan jembatan rusak\n"
";description = Jalan berlubang, longsor menutup jalan, jembatan rusak\n"
";group = infrastruktur\n"
";keywords = jalan, lubang, aspal, jembatan, longsor\n"
";category = jalan_rusak\n"
";notice = Ditindaklanjuti Dinas PUPR dalam 5 hari kerja\n"
";\n"
";[attribute jalan kerusakan]\n"
";datatype = singlevaluelist\n"
";required = yes\n"
";description = Tingkat kerusakan\n"
";value = ringan Rusak ringan\n"
";value = berat Rusak berat\n"
";\n"
";[service air_bersih]\n"
";name = Air bersih\n"
";description = Air PDAM tidak mengalir, pipa bocor, air keruh\n"
";group = infrastruktur\n"
";keywords = air, pdam, pipa, bocor\n"
";\n"
";[service sampah]\n"
";name = Sampah\n"
";description = Sampah tidak diangkut, TPS penuh, pembuangan liar\n"
";group = kebersihan\n"
";keywords = tps, limbah, kotor\n"
";\n"
";[service lampu_jalan]\n"
";name = Lampu jalan\n"
";description = Penerangan jalan umum mati atau rusak\n"
";group = infrastruktur\n"
";keywords = lampu, pju, gelap\n"
";\n"
";[service kesehatan]\n"
";name = Layanan kesehatan\n"
";description = Puskesmas, rumah sakit daerah, BPJS, wabah\n"
";group = layanan\n"
";keywords = puskesmas, rsud, bpjs, obat, dokter\n"
";\n"
";[service pendidikan]\n"
";name = Pendidikan\n"
";description = Sekolah, guru, pungutan, bantuan siswa\n"
";group = layanan\n"
";keywords = sekolah, guru, siswa, pungli\n"
";\n"
";[service perizinan]\n"
";name = Perizinan\n"
";description = Pelayanan izin (DPMPTSP / SiCantik)\n"
";group = layanan\n"
";keywords = izin, imb, pbg, sicantik\n"
";\n"
";[service ketertiban]\n"
";name = Ketertiban umum\n"
";description = Pedagang kaki lima, parkir liar, keributan\n"
";group = ketertiban\n"
";keywords = satpol, parkir, pkl, ribut\n"
";\n"
";[service bencana]\n"
";name = Bencana\n"
";description = Banjir, longsor, erupsi Sinabung, pohon tumbang\n"
";group = kedaruratan\n"
";keywords = banjir, erupsi, sinabung, pohon, kebakaran\n"
";notice = Laporan darurat: hubungi juga 112\n"
";\n"
";[client kominfo-web]\n"
";key = change-me-to-a-long-random-string\n"
";channel = web\n";

static void
svc_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
svc_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
attr_free(struct attr *a)
{
	size_t i;

	if (a == NULL)
		return;
	free(a->code);
	free(a->description);
	free(a->datatype_description);
	for (i = 0; i < a->nvalues; i++) {
		free(a->values[i].key);
		free(a->values[i].name);
	}
	free(a);
}

static void
service_free(struct service *sv)
{
	size_t i;

	if (sv == NULL)
		return;
	for (i = 0; i < sv->nattrs; i++)
		attr_free(sv->attrs[i]);
	free(sv->code);
	free(sv->name);
	free(sv->description);
	free(sv->group);
	free(sv->keywords);
	free(sv->category);
	free(sv->notice);
	free(sv);
}

struct services *
services_new(void)
{
	return xcalloc(1, sizeof(struct services));
}

void
services_free(struct services *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		service_free(s->sv[i]);
	for (i = 0; i < s->ncl; i++) {
		free(s->cl[i]->name);
		free(s->cl[i]->key);
		free(s->cl[i]->channel);
		free(s->cl[i]);
	}
	free(s);
}

/* A service or attribute code: 1..64 of A-Z a-z 0-9 _ - . */
static int
svc_code_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= OPEN311_CODE_MAX || !(isalnum((unsigned char)s[i]) ||
		    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return 0;
	return i > 0;
}

/* Text from the config: valid UTF-8, at most max characters. */
static int
svc_text(char **dst, const char *value, size_t max, const char *what,
    char *err, size_t errlen)
{
	size_t chars = text_utf8_chars(value, strlen(value));

	if (chars == TEXT_INVALID || chars > max) {
		svc_err(err, errlen, "%s must be UTF-8 text of at most %zu "
		    "characters", what, max);
		return -1;
	}
	free(*dst);
	*dst = xstrdup(value);
	return 0;
}

static struct service *
svc_get(struct services *s, const char *code, char *err, size_t errlen)
{
	struct service *sv;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->sv[i]->code, code) == 0)
			return s->sv[i];
	if (!svc_code_ok(code)) {
		svc_err(err, errlen, "service code '%s' is invalid (want 1-%d "
		    "of A-Z a-z 0-9 _ - .)", code, OPEN311_CODE_MAX);
		return NULL;
	}
	if (s->n >= SERVICES_MAX) {
		svc_err(err, errlen, "too many services (limit %d)",
		    SERVICES_MAX);
		return NULL;
	}
	sv = xcalloc(1, sizeof(*sv));
	sv->code = xstrdup(code);
	s->sv[s->n++] = sv;
	return sv;
}

static int
svc_service_key(struct service *sv, const char *name, const char *value,
    char *err, size_t errlen)
{
	if (strcmp(name, "name") == 0)
		return svc_text(&sv->name, value, 200, "name", err, errlen);
	if (strcmp(name, "description") == 0)
		return svc_text(&sv->description, value, 1000, "description",
		    err, errlen);
	if (strcmp(name, "group") == 0)
		return svc_text(&sv->group, value, 100, "group", err, errlen);
	if (strcmp(name, "keywords") == 0)
		return svc_text(&sv->keywords, value, 1000, "keywords", err,
		    errlen);
	if (strcmp(name, "category") == 0)
		return svc_text(&sv->category, value, 100, "category", err,
		    errlen);
	if (strcmp(name, "notice") == 0)
		return svc_text(&sv->notice, value, 1000, "notice", err,
		    errlen);
	svc_err(err, errlen, "unknown key '%s' in a [service] section (name, "
	    "description, group, keywords, category, notice)", name);
	return -1;
}

static struct attr *
svc_attr_get(struct service *sv, const char *code, char *err, size_t errlen)
{
	struct attr *a;
	size_t i;

	for (i = 0; i < sv->nattrs; i++)
		if (strcmp(sv->attrs[i]->code, code) == 0)
			return sv->attrs[i];
	if (!svc_code_ok(code)) {
		svc_err(err, errlen, "attribute code '%s' is invalid (want "
		    "1-%d of A-Z a-z 0-9 _ - .)", code, OPEN311_CODE_MAX);
		return NULL;
	}
	if (sv->nattrs >= OPEN311_ATTRS_MAX) {
		svc_err(err, errlen, "too many attributes for service %s "
		    "(limit %d)", sv->code, OPEN311_ATTRS_MAX);
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->code = xstrdup(code);
	a->variable = 1;
	a->order = (long)sv->nattrs + 1;
	sv->attrs[sv->nattrs++] = a;
	return a;
}

static int
svc_attr_key(struct attr *a, const char *name, const char *value,
    char *err, size_t errlen)
{
	const char *sp;
	size_t i;

	if (strcmp(name, "datatype") == 0) {
		for (i = 0; i < nitems(attr_type_names); i++)
			if (strcmp(value, attr_type_names[i]) == 0) {
				a->type = (enum attr_type)i;
				return 0;
			}
		svc_err(err, errlen, "datatype must be string, number, "
		    "datetime, text, singlevaluelist or multivaluelist");
		return -1;
	}
	if (strcmp(name, "required") == 0 || strcmp(name, "variable") == 0) {
		if (parse_bool(value, strcmp(name, "required") == 0 ?
		    &a->required : &a->variable) == -1) {
			svc_err(err, errlen, "%s must be yes or no", name);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "order") == 0) {
		if (parse_long(value, 1, 1000, &a->order) == -1) {
			svc_err(err, errlen, "order must be 1..1000");
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "description") == 0)
		return svc_text(&a->description, value, 1000, "description",
		    err, errlen);
	if (strcmp(name, "datatype_description") == 0)
		return svc_text(&a->datatype_description, value, 1000,
		    "datatype_description", err, errlen);
	if (strcmp(name, "value") == 0) {
		if (a->nvalues >= SERVICES_VALUES_MAX) {
			svc_err(err, errlen, "too many values (limit %d)",
			    SERVICES_VALUES_MAX);
			return -1;
		}
		sp = strchr(value, ' ');
		if (sp == NULL || sp == value) {
			svc_err(err, errlen, "value must be 'key name', e.g. "
			    "'berat Rusak berat'");
			return -1;
		}
		a->values[a->nvalues].key = xstrndup(value,
		    (size_t)(sp - value));
		while (*sp == ' ')
			sp++;
		if (!svc_code_ok(a->values[a->nvalues].key) ||
		    text_utf8_chars(sp, strlen(sp)) > 200) {
			free(a->values[a->nvalues].key);
			a->values[a->nvalues].key = NULL;
			svc_err(err, errlen, "value key must be 1-%d of A-Z "
			    "a-z 0-9 _ - . and the name at most 200 "
			    "characters", OPEN311_CODE_MAX);
			return -1;
		}
		a->values[a->nvalues].name = xstrdup(sp);
		a->nvalues++;
		return 0;
	}
	svc_err(err, errlen, "unknown key '%s' in an [attribute] section "
	    "(datatype, required, variable, order, description, "
	    "datatype_description, value)", name);
	return -1;
}

static struct client *
svc_client_get(struct services *s, const char *name, char *err,
    size_t errlen)
{
	struct client *c;
	size_t i;

	for (i = 0; i < s->ncl; i++)
		if (strcmp(s->cl[i]->name, name) == 0)
			return s->cl[i];
	if (!svc_code_ok(name)) {
		svc_err(err, errlen, "client name '%s' is invalid (want 1-%d "
		    "of A-Z a-z 0-9 _ - .)", name, OPEN311_CODE_MAX);
		return NULL;
	}
	if (s->ncl >= SERVICES_CLIENTS_MAX) {
		svc_err(err, errlen, "too many clients (limit %d)",
		    SERVICES_CLIENTS_MAX);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(name);
	c->channel = xstrdup("open311");
	s->cl[s->ncl++] = c;
	return c;
}

static int
svc_client_key(struct client *c, const char *name, const char *value,
    char *err, size_t errlen)
{
	size_t i, len = strlen(value);

	if (strcmp(name, "key") == 0) {
		if (len < SERVICES_KEY_MIN || len > SERVICES_KEY_MAX) {
			svc_err(err, errlen, "key must be %d..%d characters",
			    SERVICES_KEY_MIN, SERVICES_KEY_MAX);
			return -1;
		}
		for (i = 0; i < len; i++)
			if ((unsigned char)value[i] <= 0x20 ||
			    (unsigned char)value[i] >= 0x7f) {
				svc_err(err, errlen, "key must be printable "
				    "ASCII without spaces");
				return -1;
			}
		free(c->key);
		c->key = xstrdup(value);
		return 0;
	}
	if (strcmp(name, "channel") == 0) {
		for (i = 0; i < nitems(client_channels); i++)
			if (strcmp(value, client_channels[i]) == 0) {
				free(c->channel);
				c->channel = xstrdup(value);
				return 0;
			}
		svc_err(err, errlen, "channel must be web, open311, whatsapp, "
		    "lapor or phone");
		return -1;
	}
	svc_err(err, errlen, "unknown key '%s' in a [client] section (key, "
	    "channel)", name);
	return -1;
}

int
services_conf(struct services *s, const char *section, const char *name,
    const char *value, char *err, size_t errlen)
{
	char kind[16], a1[OPEN311_CODE_MAX + 2], a2[OPEN311_CODE_MAX + 2];
	const char *p = section, *sp;
	struct service *sv;
	struct attr *a;
	struct client *c;
	size_t n;

	/* "<kind> <a1>[ <a2>]", split by hand (no sscanf on the file). */
	a1[0] = a2[0] = '\0';
	if ((sp = strchr(p, ' ')) == NULL || (size_t)(sp - p) >= sizeof(kind))
		return 1;
	memcpy(kind, p, (size_t)(sp - p));
	kind[sp - p] = '\0';
	if (strcmp(kind, "service") != 0 && strcmp(kind, "attribute") != 0 &&
	    strcmp(kind, "client") != 0)
		return 1;
	p = sp + 1;
	sp = strchr(p, ' ');
	n = sp ? (size_t)(sp - p) : strlen(p);
	if (n == 0 || n >= sizeof(a1)) {
		svc_err(err, errlen, "bad section name [%s]", section);
		return -1;
	}
	memcpy(a1, p, n);
	a1[n] = '\0';
	if (sp != NULL) {
		p = sp + 1;
		n = strlen(p);
		if (n == 0 || n >= sizeof(a2) || strchr(p, ' ')) {
			svc_err(err, errlen, "bad section name [%s]", section);
			return -1;
		}
		memcpy(a2, p, n + 1);
	}
	if (strcmp(kind, "attribute") == 0) {
		if (a2[0] == '\0') {
			svc_err(err, errlen, "want [attribute <service> "
			    "<code>]");
			return -1;
		}
		if ((sv = svc_get(s, a1, err, errlen)) == NULL ||
		    (a = svc_attr_get(sv, a2, err, errlen)) == NULL)
			return -1;
		return svc_attr_key(a, name, value, err, errlen);
	}
	if (a2[0] != '\0') {
		svc_err(err, errlen, "want [%s <name>]", kind);
		return -1;
	}
	if (strcmp(kind, "service") == 0) {
		if ((sv = svc_get(s, a1, err, errlen)) == NULL)
			return -1;
		return svc_service_key(sv, name, value, err, errlen);
	}
	if ((c = svc_client_get(s, a1, err, errlen)) == NULL)
		return -1;
	return svc_client_key(c, name, value, err, errlen);
}

int
services_check(struct services *s, const char *path)
{
	struct service *sv;
	struct attr *a;
	size_t i, j, k;
	int errors = 0;

	for (i = 0; i < s->n; i++) {
		sv = s->sv[i];
		if (sv->name == NULL) {
			log_warnx("%s: [service %s] has no name (or its "
			    "section is missing)", path, sv->code);
			errors++;
		}
		if (sv->category == NULL)
			sv->category = xstrdup(sv->code);
		for (j = 0; j < sv->nattrs; j++) {
			a = sv->attrs[j];
			if (a->description == NULL) {
				log_warnx("%s: [attribute %s %s] has no "
				    "description", path, sv->code, a->code);
				errors++;
			}
			if ((a->type == A_SINGLE || a->type == A_MULTI) &&
			    a->nvalues == 0) {
				log_warnx("%s: [attribute %s %s] is a list "
				    "without values", path, sv->code, a->code);
				errors++;
			}
			if (a->type != A_SINGLE && a->type != A_MULTI &&
			    a->nvalues > 0) {
				log_warnx("%s: [attribute %s %s] has values "
				    "but is not a list", path, sv->code,
				    a->code);
				errors++;
			}
		}
	}
	for (i = 0; i < s->ncl; i++) {
		if (s->cl[i]->key == NULL) {
			log_warnx("%s: [client %s] has no key", path,
			    s->cl[i]->name);
			errors++;
			continue;
		}
		for (k = i + 1; k < s->ncl; k++)
			if (s->cl[k]->key != NULL &&
			    strcmp(s->cl[i]->key, s->cl[k]->key) == 0) {
				log_warnx("%s: [client %s] and [client %s] "
				    "have the same key", path, s->cl[i]->name,
				    s->cl[k]->name);
				errors++;
			}
		s->cl[i]->pub.name = s->cl[i]->name;
		s->cl[i]->pub.channel = s->cl[i]->channel;
	}
	return errors;
}

size_t
services_count(const struct services *s)
{
	return s->n;
}

size_t
services_client_count(const struct services *s)
{
	return s->ncl;
}

const struct service *
services_find(const struct services *s, const char *code)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->sv[i]->code, code) == 0)
			return s->sv[i];
	return NULL;
}

const char *
services_code(const struct service *sv)
{
	return sv->code;
}

const char *
services_name(const struct service *sv)
{
	return sv->name;
}

const char *
services_category(const struct service *sv)
{
	return sv->category ? sv->category : sv->code;
}

const char *
services_notice(const struct service *sv)
{
	return sv->notice;
}

static void
json_add_str_or_null(cJSON *o, const char *name, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

cJSON *
services_list_json(const struct services *s)
{
	cJSON *arr = cJSON_CreateArray(), *o;
	const struct service *sv;
	size_t i;

	if (arr == NULL)
		fatalx("services: out of memory");
	for (i = 0; i < s->n; i++) {
		sv = s->sv[i];
		if ((o = cJSON_CreateObject()) == NULL)
			fatalx("services: out of memory");
		cJSON_AddStringToObject(o, "service_code", sv->code);
		json_add_str_or_null(o, "service_name", sv->name);
		json_add_str_or_null(o, "description", sv->description);
		cJSON_AddBoolToObject(o, "metadata", sv->nattrs > 0);
		cJSON_AddStringToObject(o, "type", "realtime");
		json_add_str_or_null(o, "keywords", sv->keywords);
		json_add_str_or_null(o, "group", sv->group);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

cJSON *
services_definition_json(const struct service *sv)
{
	cJSON *def = cJSON_CreateObject(), *attrs, *o, *vals, *v;
	const struct attr *a;
	size_t i, j;

	if (def == NULL)
		fatalx("services: out of memory");
	cJSON_AddStringToObject(def, "service_code", sv->code);
	attrs = cJSON_AddArrayToObject(def, "attributes");
	for (i = 0; i < sv->nattrs; i++) {
		a = sv->attrs[i];
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "variable", a->variable);
		cJSON_AddStringToObject(o, "code", a->code);
		cJSON_AddStringToObject(o, "datatype",
		    attr_type_names[a->type]);
		cJSON_AddBoolToObject(o, "required", a->required);
		json_add_str_or_null(o, "datatype_description",
		    a->datatype_description);
		cJSON_AddNumberToObject(o, "order", (double)a->order);
		json_add_str_or_null(o, "description", a->description);
		if (a->type == A_SINGLE || a->type == A_MULTI) {
			vals = cJSON_AddArrayToObject(o, "values");
			for (j = 0; j < a->nvalues; j++) {
				v = cJSON_CreateObject();
				cJSON_AddStringToObject(v, "key",
				    a->values[j].key);
				cJSON_AddStringToObject(v, "name",
				    a->values[j].name);
				cJSON_AddItemToArray(vals, v);
			}
		}
		cJSON_AddItemToArray(attrs, o);
	}
	return def;
}

static int
attr_has_key(const struct attr *a, const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < a->nvalues; i++)
		if (strlen(a->values[i].key) == len &&
		    memcmp(a->values[i].key, key, len) == 0)
			return 1;
	return 0;
}

/* A plain decimal number, as open311_form reads lat and long. */
static int
attr_number_ok(const char *s)
{
	const char *p = s;
	double d;
	int digits = 0;

	if (*p == '-' || *p == '+')
		p++;
	for (; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p != '.' && *p != 'e' && *p != 'E' && *p != '-' &&
		    *p != '+')
			return 0;
	}
	return digits > 0 && parse_double(s, &d) == 0;
}

static int
attr_value_ok(const struct attr *a, const struct open311_attr *v, char *err,
    size_t errlen)
{
	const char *p, *comma;
	int64_t ms;

	switch (a->type) {
	case A_STRING:
		if (strchr(v->value, '\n') != NULL)
			goto bad;
		return 0;
	case A_TEXT:
		return 0;
	case A_NUMBER:
		if (!attr_number_ok(v->value))
			goto bad;
		return 0;
	case A_DATETIME:
		if (time_parse_rfc3339(v->value, &ms) == -1)
			goto bad;
		return 0;
	case A_SINGLE:
		if (v->multi || !attr_has_key(a, v->value, strlen(v->value)))
			goto bad;
		return 0;
	case A_MULTI:
		for (p = v->value; ; p = comma + 1) {
			comma = strchr(p, ',');
			if (!attr_has_key(a, p, comma ? (size_t)(comma - p) :
			    strlen(p)))
				goto bad;
			if (comma == NULL)
				break;
		}
		return 0;
	}
bad:
	svc_err(err, errlen, "attribute '%s' must be %s", a->code,
	    a->type == A_STRING ? "one line of text" :
	    a->type == A_NUMBER ? "a number" :
	    a->type == A_DATETIME ? "an ISO 8601 date-time with a zone" :
	    a->type == A_SINGLE ? "one of the listed keys" :
	    "listed keys (attribute[code][]=key, repeated)");
	return -1;
}

int
services_check_request(const struct service *sv,
    const struct open311_request *r, char *err, size_t errlen)
{
	const struct open311_attr *v;
	const struct attr *a;
	size_t i, j;

	for (i = 0; i < r->nattrs; i++) {
		v = &r->attrs[i];
		a = NULL;
		for (j = 0; j < sv->nattrs; j++)
			if (strcmp(sv->attrs[j]->code, v->code) == 0)
				a = sv->attrs[j];
		if (a == NULL || !a->variable) {
			svc_err(err, errlen, "attribute '%s' is not an input "
			    "of service %s (see services/%s.json)", v->code,
			    sv->code, sv->code);
			return -1;
		}
		if (attr_value_ok(a, v, err, errlen) == -1)
			return -1;
	}
	for (j = 0; j < sv->nattrs; j++) {
		a = sv->attrs[j];
		if (a->required && a->variable &&
		    open311_request_attr(r, a->code) == NULL) {
			svc_err(err, errlen, "attribute '%s' required for "
			    "service %s", a->code, sv->code);
			return -1;
		}
	}
	return 0;
}

/* Compares word[0..len) with s ignoring case, '-' and '_' alike. */
static int
svc_word_eq(const char *word, size_t len, const char *s)
{
	size_t i;
	int a, b;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			return 0;
		a = tolower((unsigned char)word[i]);
		b = tolower((unsigned char)s[i]);
		if (a == '-')
			a = '_';
		if (b == '-')
			b = '_';
		if (a != b)
			return 0;
	}
	return s[len] == '\0';
}

static int
svc_word_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#' ||
	    c == '*' || c == ':' || c == ',' || c == '.' || c == ';' ||
	    c == '/' || c == '\0';
}

/* The next word of *p (advancing *p past it); its length, 0 at the end. */
static size_t
svc_next_word(const char **p, const char **word)
{
	const char *s = *p;
	size_t n = 0;

	while (*s != '\0' && svc_word_sep(*s))
		s++;
	*word = s;
	while (!svc_word_sep(s[n]))
		n++;
	*p = s + n;
	return n;
}

/* 1 if the comma-separated list kw holds word (trimmed, any case). */
static int
svc_keyword(const char *kw, const char *word, size_t len)
{
	const char *p = kw, *end;
	size_t n;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == len && strncasecmp(p, word, len) == 0)
			return 1;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

const struct service *
services_match(const struct services *s, const char *text)
{
	const char *p = text, *word;
	size_t len, i;

	len = svc_next_word(&p, &word);
	if ((len == 5 && strncasecmp(word, "lapor", 5) == 0) ||
	    (len == 3 && strncasecmp(word, "adu", 3) == 0))
		len = svc_next_word(&p, &word);
	if (len == 0 || len > OPEN311_CODE_MAX)
		return NULL;
	for (i = 0; i < s->n; i++)
		if (svc_word_eq(word, len, s->sv[i]->code))
			return s->sv[i];
	for (i = 0; i < s->n; i++)
		if (s->sv[i]->keywords != NULL &&
		    svc_keyword(s->sv[i]->keywords, word, len))
			return s->sv[i];
	return NULL;
}

/* Equal strings, in time that depends only on the lengths. */
static int
svc_key_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = (unsigned char)(la != lb);

	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i < lb ? i : 0]);
	return d == 0;
}

const struct services_client *
services_client_find(const struct services *s, const char *api_key)
{
	const struct services_client *found = NULL;
	size_t i;

	if (api_key == NULL)
		return NULL;
	/* Every key is compared, so the time does not tell which matched. */
	for (i = 0; i < s->ncl; i++)
		if (s->cl[i]->key != NULL && svc_key_eq(api_key, s->cl[i]->key))
			found = &s->cl[i]->pub;
	return found;
}
