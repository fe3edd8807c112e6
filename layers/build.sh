#!/usr/bin/env bash
# Build the Lambda dependency layer: layers/build.sh OUTDIR
# Installs layers/requirements.txt for Python 3.13 on arm64 (Graviton) into OUTDIR/python, the layout Lambda expects.
set -euo pipefail

outdir=${1:?usage: layers/build.sh OUTDIR}
case "$outdir" in
  / | . | .. | "$HOME") echo "refusing to clean '$outdir'" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# The project venv's pip when it exists (make install), else the interpreter on PATH; PIP overrides both.
if [[ -n ${PIP:-} ]]; then
  read -r -a pip <<<"$PIP"
elif [[ -x $root/.venv/bin/python ]]; then
  pip=("$root/.venv/bin/python" -m pip)
else
  pip=(python3 -m pip)
fi

rm -rf "$outdir"
mkdir -p "$outdir/python"

# Both platform tags are needed: google-re2 ships its aarch64 wheel as manylinux_2_28 and pydantic-core as
# manylinux2014; with manylinux_2_28 alone pip falls back to a bogus pure-Python pydantic_core 0.0.1 wheel.
"${pip[@]}" install \
  --quiet --disable-pip-version-check --no-compile \
  --target "$outdir/python" \
  --requirement "$here/requirements.txt" \
  --platform manylinux2014_aarch64 \
  --platform manylinux_2_28_aarch64 \
  --only-binary=:all: \
  --python-version 3.13 \
  --implementation cp

# Bytecode and console scripts are useless in the layer (scripts carry the build machine's interpreter path).
find "$outdir" -type d -name __pycache__ -prune -exec rm -rf {} +
rm -rf "$outdir/python/bin"

echo "layer built in $outdir/python ($(du -sh "$outdir/python" | cut -f1))"
