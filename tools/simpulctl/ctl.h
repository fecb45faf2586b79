/*
 * ctl: the entry points of simpulctl's command families (see main.c for the
 * exit status convention).
 */
#ifndef SIMPUL_CTL_H
#define SIMPUL_CTL_H

int cmd_validate(int argc, char **argv);

#endif
