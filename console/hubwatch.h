/*
 * hubwatch: whether a hub is running, from the retained status topics the
 * hubs publish (<site>/hub/status/<instance>: "online" when connected,
 * "offline" as their will and on a clean stop; hub/mqtt.c). Any instance
 * online: online; all known ones offline: offline; not connected to the
 * broker or no instance known: unknown. Changes go to live_set_hub().
 * The only console module that sees Paho (besides common/mqttpub, which
 * the dead-letter replay uses). Reconnects by itself.
 */
#ifndef SIMPUL_CONSOLE_HUBWATCH_H
#define SIMPUL_CONSOLE_HUBWATCH_H

#include "console.h"

struct hubwatch;

struct hubwatch *hubwatch_start(struct console *c);
void hubwatch_stop(struct hubwatch *w);

#endif
