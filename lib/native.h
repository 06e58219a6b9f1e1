/*
 * native.h: the feature-test macros that let compat.c and proc.c, and no
 * other file, see the calls outside strict POSIX (accept4, pipe2,
 * closefrom, arc4random_buf, prctl, sysctl, initgroups, ...). It must come
 * before any system header, so each of the two includes it first.
 * configure compiles its probes with the same macros.
 */
#ifndef NATIVE_H
#define NATIVE_H

#undef _POSIX_C_SOURCE
#define _GNU_SOURCE 1
#define _DEFAULT_SOURCE 1
#define _BSD_SOURCE 1
#define _NETBSD_SOURCE 1
#define _DARWIN_C_SOURCE 1

#endif
