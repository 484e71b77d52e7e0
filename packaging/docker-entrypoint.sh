#!/bin/sh
# Entry point of Metarr's container image, taking PUID, PGID, TZ and UMASK the way
# linuxserver.io's images do. Started as root (the default), it gives the `metarr` user and
# group the ids asked for, hands the data directory to them, sets the time zone and runs the
# command as that user, without root's privileges. Started as another user (`docker run --user`),
# it runs the command as it is.
set -eu

if [ "$(id -u)" -ne 0 ]; then
    exec "$@"
fi

PUID="${PUID:-1000}"
PGID="${PGID:-1000}"
case "$PUID" in '' | *[!0-9]*) echo "PUID must be a number, not '$PUID'" >&2; exit 64 ;; esac
case "$PGID" in '' | *[!0-9]*) echo "PGID must be a number, not '$PGID'" >&2; exit 64 ;; esac

# -o allows an id another account already has (PGID=100 is "users" on many NAS systems).
if [ "$(id -g metarr)" != "$PGID" ]; then
    groupmod -o -g "$PGID" metarr
fi
if [ "$(id -u metarr)" != "$PUID" ]; then
    usermod -o -u "$PUID" metarr
fi

# Metarr reads TZ itself; /etc/localtime is for ffprobe and anything else that looks only there.
if [ -n "${TZ:-}" ] && [ -f "/usr/share/zoneinfo/$TZ" ]; then
    ln -snf "/usr/share/zoneinfo/$TZ" /etc/localtime
    echo "$TZ" >/etc/timezone
fi

data_dir="${METARR_DATA_DIR:-/config}"
mkdir -p "$data_dir"
# The whole tree changes hands only when its top does not belong to PUID:PGID (a first start,
# or new ids): a recursive chown of a large artwork cache at every start would be slow.
if [ "$(stat -c %u:%g "$data_dir")" != "$PUID:$PGID" ]; then
    chown -R "$PUID:$PGID" "$data_dir"
fi

# Files Metarr writes into the libraries (NFOs, artwork) get this mode mask: 022 leaves them
# readable by players running as other users, 002 also group-writable.
umask "${UMASK:-022}"
export HOME="$data_dir"

exec setpriv --reuid=metarr --regid=metarr --init-groups -- "$@"
