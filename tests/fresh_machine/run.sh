#!/usr/bin/env bash
# Runs the README's two commands, exactly as README.md has them, on a fresh Debian 12: debootstraps
# bookworm (minbase, as in the debian:12 container image) into a new folder, puts a clone of this
# checkout's HEAD at /work-fresh/main and a copy of the shared data at /work-fresh/shared/data
# inside it, and runs each command there as root in a clean environment, timing it. Afterwards it
# unmounts everything and removes the folder.
#
#   sudo tests/fresh_machine/run.sh [ROOT]     ROOT: a folder that does not exist yet
#                                              (default /tmp/fresh-deb12)
# Environment: MIRROR (default: http://deb.debian.org/debian), SHARED_DATA (default: ../shared/data
# beside this checkout), LOGS (default: /tmp/fresh-machine-logs). Needs root, debootstrap and git;
# commit first: uncommitted changes are not in the clone.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=${1:-/tmp/fresh-deb12}
mirror=${MIRROR:-http://deb.debian.org/debian}
shared_data=${SHARED_DATA:-$repo/../shared/data}
logs=${LOGS:-/tmp/fresh-machine-logs}

[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (debootstrap, mount, chroot)" >&2; exit 1; }
[ ! -e "$root" ] || { echo "run.sh: $root exists; give a folder that does not exist yet" >&2; exit 1; }
[ -d "$shared_data" ] || { echo "run.sh: no shared data at $shared_data" >&2; exit 1; }
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
  echo "run.sh: warning: uncommitted changes in $repo are not tested, only HEAD" >&2
build_and_run=$("$repo/.ci/readme_command" 1)
tests=$("$repo/.ci/readme_command" 2)
mkdir -p "$logs"

# Unmounts what this script mounted, and removes the root only when nothing is mounted below it
# (rm -rf across a bind mount of /dev would delete the host's device nodes).
cleanup() {
  local mount
  for mount in dev sys proc; do
    if mountpoint -q "$root/$mount"; then umount "$root/$mount" || umount -l "$root/$mount"; fi
  done
  if [ -d "$root" ]; then
    if findmnt -rn -o TARGET | grep -qF "$root/"; then
      echo "run.sh: something is still mounted under $root; not removing it" >&2
    else
      rm -rf --one-file-system "$root"
    fi
  fi
}
trap cleanup EXIT

echo "== debootstrap bookworm (minbase) from $mirror into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$logs/debootstrap.log" 2>&1 ||
  { tail -20 "$logs/debootstrap.log"; exit 1; }
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/work-fresh/shared"
git clone --quiet --no-hardlinks "$repo" "$root/work-fresh/main"
git -C "$root/work-fresh/main" checkout --quiet --detach "$(git -C "$repo" rev-parse HEAD)"
cp -r "$shared_data" "$root/work-fresh/shared/data"
echo "   commit $(git -C "$repo" rev-parse --short HEAD), shared data from $shared_data"

# Runs README command $1 ($2: its text) in the chroot as a new root login would: a clean
# environment, in /work-fresh/main. Prints its status and wall time; its output goes to the log.
statuses=()
run_in_chroot() {
  local number=$1 command=$2 log="$logs/readme-command-$1.log" begin end status=0
  echo "== README command $number"
  echo "$command"
  begin=$(date +%s)
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "cd /work-fresh/main && $command" > "$log" 2>&1 || status=$?
  end=$(date +%s)
  echo "   exit status $status after $(( end - begin )) s (output: $log)"
  statuses+=("$status")
}
run_in_chroot 1 "$build_and_run"
echo "   its last lines (the nearest neighbours):"
tail -n 20 "$logs/readme-command-1.log" | sed 's/^/   | /'
run_in_chroot 2 "$tests"
echo "   ctest's summary:"
grep -E 'tests passed|tests failed|did not run|\((Skipped|Not Run|Failed)\)|Total Test time' "$logs/readme-command-2.log" |
  sed 's/^/   | /' || true
[ "${statuses[0]}" = 0 ] && [ "${statuses[1]}" = 0 ]
