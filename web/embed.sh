#!/bin/sh
#
# web/embed.sh: writes, on stdout, the C file that embeds the web page's
# files into mesosd (master_web.c serves them): one byte array per file
# and the table master_web_assets[] of (path, type, bytes, length). POSIX
# sh, od and sed only, so it runs wherever the build does (GNU make, bmake,
# VPATH builds: build.mk runs it inside build/).
#
#   sh web/embed.sh web/index.html web/app.js web/style.css > web_assets.c
#
set -e

echo '/* web_assets.c: the web page (web/), written by web/embed.sh at build time. */'
echo '#include "master/master.h"'
echo
n=0
for f in "$@"; do
	echo "static const unsigned char web_asset_${n}[] = {"
	# Every byte as 0x.., and a 0 so that an empty file still makes an array.
	od -A n -v -t x1 "$f" | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'
	echo '0x00 };'
	n=$((n + 1))
done
echo
echo 'const struct master_web_asset master_web_assets[] = {'
n=0
for f in "$@"; do
	name=${f##*/}
	case "$name" in
	*.html) type='text/html; charset=utf-8' ;;
	*.js) type='text/javascript; charset=utf-8' ;;
	*.css) type='text/css; charset=utf-8' ;;
	*.png) type='image/png' ;;
	*.svg) type='image/svg+xml' ;;
	*) type='application/octet-stream' ;;
	esac
	echo "	{ \"/$name\", \"$type\", web_asset_$n, sizeof(web_asset_$n) - 1 },"
	n=$((n + 1))
done
echo '	{ 0, 0, 0, 0 },'
echo '};'
