# Sourced by .ci/run and scripts/test-all: `stage NAME command…` runs one stage, prints its time,
# and appends "NAME seconds" to $CERTROOM_STAGE_LOG so the caller can print the whole table.
stage() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "== $name"
  "$@"
  local t=$(( $(date +%s) - t0 ))
  echo "stage: $name ${t} s"
  if [ -n "${CERTROOM_STAGE_LOG:-}" ]; then echo "$name $t" >> "$CERTROOM_STAGE_LOG"; fi
}

stage_table() {
  [ -n "${CERTROOM_STAGE_LOG:-}" ] && [ -f "$CERTROOM_STAGE_LOG" ] || return 0
  echo "== time per stage (s)"
  awk '{ printf "  %-34s %6d\n", $1, $2; total += $2 } END { printf "  %-34s %6d\n", "total", total }' "$CERTROOM_STAGE_LOG"
}
