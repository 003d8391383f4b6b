#!/usr/bin/env bash
# Regenerates every generated file (TypeScript in gen/, the Go and Python clients) and fails when the
# result differs from what is committed: changed files, deleted files, or new untracked files.
# Needs `npm ci` and `.ci/install-tools.sh` first (pinned plugins in .tools/bin, grpcio-tools in .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"

GENERATED=(gen clients/go/gen clients/python/gen)

npx buf generate
npx buf generate --template buf.gen.clients.yaml

status=0
if ! git diff --exit-code --stat -- "${GENERATED[@]}"; then
  echo "check-generated: generated code differs from the committed code; run the two buf generate commands above and commit" >&2
  status=1
fi
untracked="$(git ls-files --others --exclude-standard -- "${GENERATED[@]}")"
if [[ -n "$untracked" ]]; then
  printf 'check-generated: generated files not committed:\n%s\n' "$untracked" >&2
  status=1
fi
# The Go client module must still build against the regenerated code.
(cd clients/go && go build ./... && go vet ./...) || status=1
exit "$status"
