#!/usr/bin/env bash
# CPU and RSS of the real lvscare binary (not a test binary) over WINDOW
# seconds (default 60; the issue's soak is 600), with 3 keep-alive HTTPS
# masters on loopback and the nftables backend, all inside a private network
# namespace. Prints figures; asserts nothing. Needs root, unshare, ip, openssl and
# python3 (the masters: HTTP/1.1 keep-alive like an apiserver).
set -euo pipefail
cd "$(dirname "$0")/.."
WINDOW=${WINDOW:-60}
[[ $(id -u) -eq 0 ]] || { echo "bench-lvscare: needs root for a private network namespace" >&2; exit 1; }
for tool in unshare ip openssl python3; do
  command -v "$tool" >/dev/null || { echo "bench-lvscare: needs $tool" >&2; exit 1; }
done
make -s lvscare >/dev/null
bin=$PWD/_output/bin/lvscare
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "${work}/k.pem" -out "${work}/c.pem" -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1
cat > "${work}/master.py" <<'PY'
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
s.socket = ctx.wrap_socket(s.socket, server_side=True)
s.serve_forever()
PY
cat > "${work}/run.sh" <<RUN
set -e
ip link set lo up
for p in 18441 18442 18443; do python3 "${work}/master.py" \$p "${work}/c.pem" "${work}/k.pem" & done
sleep 1
"${bin}" care --backend nftables --vs 10.252.0.1:6443 --rs 127.0.0.1:18441 --rs 127.0.0.1:18442 --rs 127.0.0.1:18443 \
  --health-insecure-skip-verify > "${work}/lvscare.log" 2>&1 &
pid=\$!
sleep 2
t0=\$(awk '{print \$14+\$15}' /proc/\$pid/stat)
sleep ${WINDOW}
t1=\$(awk '{print \$14+\$15}' /proc/\$pid/stat)
hwm=\$(awk '/VmHWM/ {print \$2}' /proc/\$pid/status)
awk -v t=\$((t1-t0)) -v hz=\$(getconf CLK_TCK) -v w=${WINDOW} -v hwm=\$hwm 'BEGIN {
  printf "lvscare over %ds, 3 masters, interval 1s, nftables: CPU %.2f%% of one core (%.2fs), max RSS %.1f MiB\n", w, 100*t/hz/w, t/hz, hwm/1024 }'
kill \$pid
kill \$(jobs -p) 2>/dev/null || true
RUN
unshare --net bash "${work}/run.sh"
