/*
 * ctl: the entry points of simpulctl's command families (see main.c for the
 * exit status convention).
 */
#ifndef SIMPUL_CTL_H
#define SIMPUL_CTL_H

int cmd_validate(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_dlq(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_case(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_user(int argc, char **argv);

#endif
