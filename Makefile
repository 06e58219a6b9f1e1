# Makefile: the entry point. It only makes sure ./configure has run, then
# hands each target to build.mk, which includes the generated config.mk.
# Portable to GNU make and bmake: no conditionals, no functions, no $^.
# $(MAKE) is spelled out in each recipe so GNU make passes its jobserver on.

# Two sub-makes at once would race on the same objects.
.NOTPARALLEL:

.PHONY: all check tests bench fuzz install uninstall clean distclean run \
	mesosd agentd mesosctl plugins

all: config.mk
	$(MAKE) -f build.mk all

mesosd agentd mesosctl tests plugins check bench fuzz install uninstall run: config.mk
	$(MAKE) -f build.mk $@

# Cleaning needs the file lists, not the configuration: never configure for it.
clean:
	$(MAKE) -f build.mk CONFIG_MK=/dev/null clean

distclean:
	$(MAKE) -f build.mk CONFIG_MK=/dev/null distclean

config.mk:
	sh ./configure
