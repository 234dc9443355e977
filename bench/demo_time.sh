#!/bin/bash
# Time `make demo` on a fresh LLMBOARD_HOME: seconds until `llmboard rankings --json` lists N models
# (default 7, the tiny zoo), then Ctrl-C the whole process group and count what is left.
#   bash bench/demo_time.sh [N]          (from the repository root, after `make test` built .venv)
set -u
want=${1:-7}
rm -rf .llmboard
start=$(date +%s)
setsid make demo > /tmp/llmboard-demo.log 2>&1 &
group=$!
while [ $(( $(date +%s) - start )) -lt 600 ]; do
  n=$(LLMBOARD_HOME=.llmboard .venv/bin/llmboard rankings --json 2>/dev/null \
      | python3 -c "import json, sys; print(len(json.load(sys.stdin)))" 2>/dev/null || echo 0)
  echo "$(( $(date +%s) - start )) s: $n ranked"
  [ "$n" -ge "$want" ] && break
  sleep 10
done
curl -s -o /dev/null -w "dashboard: HTTP %{http_code}\n" http://127.0.0.1:8501/
kill -INT -"$group"
wait "$group" 2>/dev/null
echo "processes left: $(pgrep -f 'llmboard|valkey-server|streamlit|rq:' | wc -l)"
