#!/bin/sh
# metrics-h2m.sh RACKBOOTD OUT: a help2man include with rackbootd's METRICS section, made from
# `rackbootd --list-metrics` (the table the /metrics page's HELP comes from).
set -eu
{
    echo '[METRICS]'
    echo 'GET /metrics on the --api address serves these families (Prometheus text format).'
    "$1" --list-metrics | awk '
        /^[^ ]/ { printf ".TP\n\\fB%s\\fR %s\n", $1, $2; next }
        { sub(/^ +/, ""); gsub(/\\/, "\\\\"); if ($0 ~ /^[.'"'"']/) $0 = "\\&" $0; print }'
} > "$2.tmp"
mv "$2.tmp" "$2"
