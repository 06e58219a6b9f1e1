# Makefile: the entry point. It only makes sure ./configure has run, then
# hands each target to build.mk, run inside build/ so that objects never
# sit beside the sources (build.mk says how). Portable to GNU make and
# bmake: no conditionals, no functions, no $^. $(MAKE) is spelled out in
# each recipe so GNU make passes its jobserver on.

# Two sub-makes at once would race on the same objects.
.NOTPARALLEL:

.PHONY: all check tests bench bench-smoke bench-sharing fuzz install install-service uninstall clean distclean run plugins soak \
	mesosd agentd mesosctl

all: config.mk
	mkdir -p build && cd build && $(MAKE) -f ../build.mk all

check tests plugins bench bench-smoke bench-sharing fuzz install install-service uninstall run soak: config.mk
	mkdir -p build && cd build && $(MAKE) -f ../build.mk $@

# One program: make mesosd, make agentd, make mesosctl.
mesosd agentd mesosctl: config.mk
	mkdir -p build && cd build && $(MAKE) -f ../build.mk ../$@

# Cleaning needs the file lists, not the configuration: never configure for it.
clean:
	mkdir -p build && cd build && $(MAKE) -f ../build.mk CONFIG_MK=/dev/null clean
	rm -rf build

distclean:
	mkdir -p build && cd build && $(MAKE) -f ../build.mk CONFIG_MK=/dev/null distclean
	rm -rf build

config.mk:
	sh ./configure
