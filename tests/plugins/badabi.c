/*
 * tests/plugins/badabi.c: a plugin built for an ABI version this master
 * does not speak. It must be refused at load, with both versions named,
 * and never restarted.
 */
#include "plugins/framework.h"

#define BADABI_VERSION (FRAMEWORK_ABI_VERSION + 1)

const struct framework_plugin mesos_framework_plugin = {
	.abi_version = BADABI_VERSION,
	.name = "badabi",
};
