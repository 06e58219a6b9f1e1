#
# bench/sizes.sh: stripped sizes of every binary, sourced by bench/run.sh
# (section sizes): the host's build as it is, and a static armhf build
# made in a copy of the tree when Debian's arm-linux-gnueabihf-gcc is
# installed (skipped, saying so, when it is not, and at smoke size). The aim for the static
# armhf set is under 1 MiB in all. Prints `name value unit` lines.
# The armhf build links musl where Debian's musl-dev for armhf is installed
# (`dpkg --add-architecture armhf; apt-get update; apt-get install
# musl-dev:armhf`: the cross gcc takes its specs file), glibc otherwise: a
# static glibc adds about 450 KiB to each program. mesos-plughost stays
# dynamic under musl, which cannot dlopen from a static program.
#
# Sourced by bench/run.sh (its TMP and fail_section).
SIZES_PROGS="mesosd agentd mesosctl mesos-lb mesos-executor mesos-fetcher mesos-plughost"
SIZES_TRIPLET=arm-linux-gnueabihf
SIZES_BYTES_PER_KIB=1024
SIZES_MUSL_SPECS=/usr/lib/arm-linux-musleabihf/musl-gcc.specs

# sizes_of PREFIX DIR STRIP: each program of DIR stripped by STRIP, then the total.
sizes_of () {
	so_total=0
	for so_p in $SIZES_PROGS; do
		if [ ! -f "$2/$so_p" ]; then
			fail_section sizes "$2/$so_p was not built"
			return 1
		fi
		"$3" -o "$TMP/$1.$so_p" "$2/$so_p" 2>/dev/null || cp "$2/$so_p" "$TMP/$1.$so_p"
		so_bytes=$(wc -c < "$TMP/$1.$so_p" | tr -d ' ')
		so_total=$((so_total + so_bytes))
		echo "size_$1_$(echo "$so_p" | tr - _) $((so_bytes / SIZES_BYTES_PER_KIB)) KiB"
	done
	echo "size_$1_total $((so_total / SIZES_BYTES_PER_KIB)) KiB"
}

echo "bench: stripped sizes of every binary (host; static armhf when its cross compiler is here)" >&2
sizes_of host "$TOP" strip
if [ -n "${BENCH_SMOKE:-}" ]; then
	echo "bench: sizes: static armhf not built at smoke size (.ci/cross builds armhf)" >&2
elif command -v "$SIZES_TRIPLET-gcc" > /dev/null 2>&1; then
	mkdir -p "$TMP/armhf"
	(cd "$TOP" && git ls-files -z | xargs -0 tar cf -) | (cd "$TMP/armhf" && tar xf -)
	sizes_cc=$SIZES_TRIPLET-gcc
	sizes_libc=glibc
	if [ -f "$SIZES_MUSL_SPECS" ]; then
		sizes_cc="$sizes_cc -specs $SIZES_MUSL_SPECS"
		sizes_libc=musl
	fi
	echo "bench: sizes: static armhf with $sizes_libc ($sizes_cc)" >&2
	if (cd "$TMP/armhf" && ./configure --cc="$sizes_cc" --static > configure.out 2>&1 &&
	    make -j2 all > make.out 2>&1); then
		sizes_of "armhf_static_$sizes_libc" "$TMP/armhf" "$SIZES_TRIPLET-strip"
	else
		fail_section sizes "the static armhf build failed (see $TMP/armhf/make.out)"
	fi
else
	echo "bench: sizes: no $SIZES_TRIPLET-gcc: static armhf sizes skipped" >&2
fi
