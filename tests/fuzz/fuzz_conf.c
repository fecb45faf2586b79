/*
 * Fuzz target: the hub's config file parser (inih + the key table). The
 * input is written to a file and loaded; any bytes must give a count of
 * errors, never a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct hub_config cfg;
	FILE *f;

	if (path[0] == '\0') {
		int fd;

		log_init("fuzz_conf", LOG_LEVEL_WARN);
		snprintf(path, sizeof(path), "/tmp/simpul-fuzz-conf.XXXXXX");
		if ((fd = mkstemp(path)) == -1)
			abort();
		close(fd);
		/* Errors are logged to stderr; keep the fuzzer output quiet. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			abort();
	}
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	hub_config_load(&cfg, path);
	hub_config_free(&cfg);
	return 0;
}
