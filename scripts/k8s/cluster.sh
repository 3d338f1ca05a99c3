#!/usr/bin/env bash
# A small real Kubernetes cluster on this machine (one node, as root), for the kubernetes driver's
# tests: upstream kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kube-proxy built
# from the k8s.io/kubernetes Go module and CoreDNS from its own (scripts/k8s/build.sh), Debian's etcd,
# containerd, runc, CNI plugins and docker-registry, a pause image built here. Every process runs in
# the background with its log under $IX_K8S_STATE/logs. See scripts/k8s/README.md.
#
#   cluster.sh build   install the Debian packages, build (or find cached) binaries and the pause image
#   cluster.sh up      build, then start everything and wait until the node is Ready
#   cluster.sh down    stop everything, remove pods, mounts, cgroups, network and state (keeps the cache)
#   cluster.sh env     print the shell exports for using the cluster (KUBECONFIG, PATH, registry)
#   cluster.sh status  say what runs
#   cluster.sh image ROOTFS NAME:TAG [ENTRYPOINT...]
#                      pack a directory as an OCI image and push it to the local registry
#
# Settings (environment): IX_K8S_VERSION (v1.34.4), IX_K8S_CACHE (/var/cache/ix-playground/k8s),
# IX_K8S_STATE (/var/lib/ix-playground/k8s), IX_K8S_REGISTRY_PORT (5000), IX_K8S_CONTAINERD (1: Debian's
# containerd 1.6 and runc; 2: containerd 2 and runc 1.4 built from their Go modules, which give pods
# user namespaces; `down` before switching).
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/go/bin:$PATH

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSION=${IX_K8S_VERSION:-v1.34.4}
CACHE=${IX_K8S_CACHE:-/var/cache/ix-playground/k8s}
STATE=${IX_K8S_STATE:-/var/lib/ix-playground/k8s}
RUN=/run/ix-playground/k8s
BIN=$CACHE/$VERSION/bin
PKI=$STATE/pki
LOGS=$STATE/logs
PIDS=$RUN/pids
CONTAINERD_SOCK=$RUN/containerd.sock
REGISTRY_PORT=${IX_K8S_REGISTRY_PORT:-5000}
REGISTRY=localhost:$REGISTRY_PORT
NODE=ix-playground-node
BRIDGE=ixk8s0
POD_SUBNET=10.244.0.0/24
NODE_IP=10.244.0.1 # the pod bridge's own address: the node's address never leaves this machine
SERVICE_CIDR=10.96.0.0/24
API_SERVICE_IP=10.96.0.1
API=https://127.0.0.1:6443
PAUSE_IMAGE=$REGISTRY/ix-playground/pause:1
DEBIAN_PACKAGES=(containerd runc containernetworking-plugins docker-registry etcd-server umoci skopeo busybox-static iptables nftables iproute2 conntrack openssl curl gcc libc6-dev)
# Unset: what the cluster in $STATE runs with, else 1.
CONTAINERD_MAJOR=${IX_K8S_CONTAINERD:-$(cat "$STATE/containerd.major" 2>/dev/null || echo 1)}
[[ $CONTAINERD_MAJOR == 1 || $CONTAINERD_MAJOR == 2 ]] || { echo "IX_K8S_CONTAINERD is 1 or 2" >&2; exit 1; }
DAEMONS=(registry etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy coredns)

log() { printf '[k8s %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "$*"; exit 1; }

# Polls a command until it succeeds, for at most $2 seconds.
wait_for() {
  local what=$1 secs=$2 end=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || { log "timed out after ${secs}s waiting for $what"; return 1; }
    sleep 0.5
  done
}

kubectl() { "$BIN/kubectl" --kubeconfig "$STATE/admin.kubeconfig" "$@"; }

# ---------------------------------------------------------------------------------------- build

install_packages() {
  local missing=() wanted=("${DEBIAN_PACKAGES[@]}")
  [[ $CONTAINERD_MAJOR == 2 ]] && wanted+=(libseccomp-dev pkg-config)
  for p in "${wanted[@]}"; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian would start the packages' own services; this script runs its own instances.
  local policy=/usr/sbin/policy-rc.d added=''
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy && added=1; fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [[ -n $added ]] && rm -f $policy
  return 0
}

# The pause image: pause.c compiled statically, packed with umoci into an OCI layout in the cache.
build_pause() {
  local sum dir
  sum=$(sha256sum "$HERE/pause.c" | cut -c1-12)
  dir=$CACHE/images/pause-$sum
  [[ -f $dir/done ]] && return
  log "building the pause image"
  rm -rf "$dir" && mkdir -p "$dir/rootfs"
  gcc -static -Os -s -o "$dir/rootfs/pause" "$HERE/pause.c"
  oci_layout "$dir/rootfs" "$dir/oci" /pause
  touch "$dir/done"
}

pause_layout() { echo "$CACHE/images/pause-$(sha256sum "$HERE/pause.c" | cut -c1-12)/oci"; }

# oci_layout ROOTFS LAYOUT ENTRYPOINT...: an OCI image layout LAYOUT:latest holding ROOTFS as one layer.
oci_layout() {
  local rootfs=$1 layout=$2 bundle
  shift 2
  bundle=$(mktemp -d)
  rm -rf "$layout"
  umoci init --layout "$layout"
  umoci new --image "$layout:latest"
  umoci unpack --image "$layout:latest" "$bundle/b" >/dev/null
  cp -a "$rootfs/." "$bundle/b/rootfs/"
  umoci repack --image "$layout:latest" "$bundle/b" >/dev/null
  local args=()
  for a in "$@"; do args+=(--config.entrypoint "$a"); done
  umoci config --image "$layout:latest" --os linux --architecture amd64 "${args[@]}"
  umoci gc --layout "$layout"
  rm -rf "$bundle"
}

push_layout() { # push_layout LAYOUT REF
  skopeo copy --quiet --dest-tls-verify=false "oci:$1:latest" "docker://$2"
}

cmd_build() {
  local start=$SECONDS
  install_packages
  bash "$HERE/build.sh"
  build_pause
  log "build ready in $((SECONDS - start)) s"
}

# ------------------------------------------------------------------------------------------- up

cert() { # cert NAME CN ORG EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
  local name=$1 cn=$2 org=$3 eku=$4 sans=${5:-} subj="/CN=$2"
  [[ -f $PKI/$name.crt ]] && return
  [[ -n $org ]] && subj+="/O=$org"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subj" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n $sans ]] && echo "subjectAltName=$sans"
  } >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

kubeconfig() { # kubeconfig NAME CERT
  cat >"$STATE/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ix-playground
  cluster:
    server: $API
    certificate-authority: $PKI/ca.crt
users:
- name: $1
  user:
    client-certificate: $PKI/$2.crt
    client-key: $PKI/$2.key
contexts:
- name: ix-playground
  context: {cluster: ix-playground, user: $1}
current-context: ix-playground
EOF
}

make_pki() {
  mkdir -p "$PKI" && chmod 700 "$PKI"
  if [[ ! -f $PKI/ca.crt ]]; then
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
      -subj /CN=ix-playground-ca -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
  fi
  [[ -f $PKI/sa.key ]] || openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/sa.key"
  [[ -f $PKI/sa.pub ]] || openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  cert apiserver kube-apiserver '' serverAuth \
    "IP:127.0.0.1,IP:$NODE_IP,IP:$API_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth
  cert admin admin system:masters clientAuth
  cert controller-manager system:kube-controller-manager '' clientAuth
  cert scheduler system:kube-scheduler '' clientAuth
  cert kube-proxy system:kube-proxy '' clientAuth
  cert coredns ix-playground:coredns '' clientAuth
  cert kubelet "system:node:$NODE" system:nodes clientAuth
  cert kubelet-serving "system:node:$NODE" system:nodes serverAuth "IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE,DNS:localhost"
  kubeconfig admin admin
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  kubeconfig kube-proxy kube-proxy
  kubeconfig coredns coredns
  kubeconfig kubelet kubelet
}

# /proc/PID/stat after the command name: state (1), ..., start time (20).
stat_field() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) && s=${s##*) } && cut -d' ' -f"$2" <<<"$s"; }
alive() { local state; state=$(stat_field "$1" 1) && [[ $state != Z ]]; }
dead() { ! alive "$1"; }
# A daemon runs if the process of its pid file is alive and started when the file says (not a
# later process that was given the same pid).
running() {
  local pid started
  { read -r pid started <"$PIDS/$1.pid"; } 2>/dev/null || return 1
  alive "$pid" && [[ $(stat_field "$pid" 20) == "$started" ]]
}

# start NAME COMMAND...: in its own session, so that the caller's terminal or test runner ending
# does not stop it; its pid in $PIDS/NAME.pid, its output in $LOGS/NAME.log.
start() {
  local name=$1
  shift
  running "$name" && return
  rm -f "$PIDS/$name.pid"
  setsid bash -c 'echo $$ >"$0.new"; exec "$@"' "$PIDS/$name.pid" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  wait_for "$name to write its pid" 10 test -s "$PIDS/$name.pid.new"
  local pid
  pid=$(cat "$PIDS/$name.pid.new")
  echo "$pid $(stat_field "$pid" 20)" >"$PIDS/$name.pid" && rm "$PIDS/$name.pid.new"
}

port_free_or_ours() { # port_free_or_ours NAME PORT
  running "$1" && return
  if ss -Hltn "sport = :$2" | grep -q .; then die "port $2 (for $1) is taken by another process: $(ss -Hltnp "sport = :$2")"; fi
}

write_configs() {
  mkdir -p "$STATE/containerd/certs.d/$REGISTRY" "$STATE/cni/net.d" "$STATE/cni/ipam" "$STATE/kubelet" "$STATE/pod-logs" "$STATE/registry"
  cat >"$STATE/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $STATE/registry}
  delete: {enabled: true}
http: {addr: "127.0.0.1:$REGISTRY_PORT"}
EOF
  if [[ $CONTAINERD_MAJOR == 2 ]]; then containerd2_config; else containerd_config; fi
  # The local registry speaks plain HTTP.
  cat >"$STATE/containerd/certs.d/$REGISTRY/hosts.toml" <<EOF
server = "http://$REGISTRY"
[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
  cni_and_kubelet_configs
}

containerd_config() {
  cat >"$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  # Pods' network namespaces under $RUN, so that cluster.sh down finds every one even after a crash.
  netns_mounts_under_state_dir = true
  # root here lacks CAP_SYS_RESOURCE: no process may lower its oom_score_adj, so the sandbox's and
  # Guaranteed pods' negative scores are clamped to containerd's own instead of failing the start.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$STATE/containerd/certs.d"
EOF
}

# The same settings in containerd 2's layout, with its runc.
containerd2_config() {
  cat >"$STATE/containerd/config.toml" <<EOF
version = 3
root = "$STATE/containerd/root"
state = "$RUN/containerd"
disabled_plugins = ["io.containerd.internal.v1.opt"]
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = '$PAUSE_IMAGE'
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = '$STATE/containerd/certs.d'
[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = '$BIN/containerd2/runc'
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['/usr/lib/cni']
    conf_dir = '$STATE/cni/net.d'
    max_conf_num = 1
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = '127.0.0.1'
EOF
}

cni_and_kubelet_configs() {
  # One bridge for the node's pods, addresses from host-local, hostPort through portmap. No
  # masquerading: pods reach each other and this host, and nothing beyond it (see the nft table).
  cat >"$STATE/cni/net.d/10-ix-playground.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "ix-playground",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$STATE/cni/ipam",
        "ranges": [[{ "subnet": "$POD_SUBNET", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  cat >"$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
podLogsDir: $STATE/pod-logs
clusterDomain: cluster.local
clusterDNS: [$NODE_IP]
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# A shared development machine: evict only when it is really short, never garbage-collect the
# images a test pushed because the disk is fuller than a dedicated node's would be.
evictionHard: {memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
EOF
}

# Pods reach each other and this host; nothing they send is forwarded off the bridge, and nothing
# is forwarded onto it from elsewhere. (The bridge plugin turns on ip_forward for its gateway.)
network_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$NODE_IP/${POD_SUBNET#*/}" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  # The bridge plugin turns ip_forward on, the kubelet sets these three: put back on `down`.
  [[ -f $STATE/sysctl.before ]] || for k in net.ipv4.ip_forward vm.overcommit_memory kernel.panic kernel.panic_on_oops; do
    echo "$k=$(sysctl -n "$k")"
  done >"$STATE/sysctl.before"
  nft -f - <<EOF
table inet ix_k8s
delete table inet ix_k8s
table inet ix_k8s {
  chain forward {
    type filter hook forward priority -10; policy accept;
    iifname "$BRIDGE" oifname != "$BRIDGE" drop
    oifname "$BRIDGE" iifname != "$BRIDGE" drop
  }
}
EOF
}

cmd_up() {
  local start_time=$SECONDS d any=''
  cmd_build
  # State whose processes are all gone (a reboot, or a session's processes ended): start afresh.
  if [[ -d $STATE ]]; then
    for d in "${DAEMONS[@]}"; do running "$d" && any=1; done
    [[ -n $any ]] || { log "no process of the last cluster runs: removing its state first"; cmd_down; }
  fi
  if [[ -f $STATE/containerd.major && $(cat "$STATE/containerd.major") != "$CONTAINERD_MAJOR" ]]; then
    die "the cluster in $STATE runs containerd $(cat "$STATE/containerd.major"): cluster.sh down first"
  fi
  mkdir -p "$STATE" "$LOGS" "$PIDS"
  echo "$CONTAINERD_MAJOR" >"$STATE/containerd.major"
  make_pki
  write_configs
  network_up
  trap 'log "up failed; the last lines of the logs in $LOGS:"; for f in "$LOGS"/*.log; do echo "== $f"; tail -n 15 "$f"; done >&2' ERR

  port_free_or_ours registry "$REGISTRY_PORT"
  start registry docker-registry serve "$STATE/registry.yml"
  port_free_or_ours etcd 2379
  start etcd etcd --name ix-playground --data-dir "$STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster ix-playground=http://127.0.0.1:2380 --log-level warn --logger zap
  if [[ $CONTAINERD_MAJOR == 2 ]]; then # its shim is found on PATH
    start containerd env PATH="$BIN/containerd2:$PATH" "$BIN/containerd2/containerd" --config "$STATE/containerd/config.toml"
  else
    start containerd containerd --config "$STATE/containerd/config.toml"
  fi
  wait_for "the registry" 30 curl -sf "http://$REGISTRY/v2/"
  wait_for "etcd" 60 curl -sf http://127.0.0.1:2379/health
  push_layout "$(pause_layout)" "$PAUSE_IMAGE"

  port_free_or_ours kube-apiserver 6443
  start kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 \
    --advertise-address="$NODE_IP" --secure-port=6443 \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --client-ca-file="$PKI/ca.crt" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --profiling=false
  wait_for "kube-apiserver /readyz" 120 kubectl get --raw /readyz

  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --root-ca-file="$PKI/ca.crt" --service-account-private-key-file="$PKI/sa.key" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false
  start kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig="$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false

  wait_for "containerd" 30 "$BIN/crictl" --runtime-endpoint "unix://$CONTAINERD_SOCK" info
  start kubelet "$BIN/kubelet" \
    --config="$STATE/kubelet/config.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --root-dir="$STATE/kubelet" --hostname-override="$NODE" --node-ip="$NODE_IP"
  # Services: ClusterIPs in kube-proxy's own nftables tables; kube-proxy leaves the host's
  # conntrack settings alone; NodePorts only on the node's (bridge) address.
  start kube-proxy "$BIN/kube-proxy" \
    --kubeconfig="$STATE/kube-proxy.kubeconfig" --hostname-override="$NODE" \
    --proxy-mode=nftables --cluster-cidr="$POD_SUBNET" --nodeport-addresses="$NODE_IP/32" \
    --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 --conntrack-tcp-timeout-close-wait=0 \
    --metrics-bind-address=127.0.0.1:10249 --healthz-bind-address=127.0.0.1:10256

  # Cluster DNS: CoreDNS on the host, on the node's address only, answering for cluster.local
  # (Services, headless Services' pods by hostname and subdomain) and reverse lookups of pods.
  kubectl apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ix-playground:coredns}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ix-playground:coredns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ix-playground:coredns}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: ix-playground:coredns}
EOF
  cat >"$STATE/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 {
  bind $NODE_IP
  errors
  ready 127.0.0.1:8181
  kubernetes cluster.local in-addr.arpa {
    kubeconfig $STATE/coredns.kubeconfig ix-playground
    pods verified
  }
  cache 5
}
EOF
  port_free_or_ours coredns 53
  start coredns "$BIN/coredns" -conf "$STATE/Corefile"
  wait_for "CoreDNS" 60 curl -sf http://127.0.0.1:8181/ready
  wait_for "node $NODE to be Ready" 180 node_ready
  wait_for "the default service account" 60 kubectl get serviceaccount default
  trap - ERR
  log "cluster up in $((SECONDS - start_time)) s: $(cmd_env | tr '\n' ' ')"
}

node_ready() {
  [[ $(kubectl get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}|{.spec.taints}') == "True|" ]]
}

# ----------------------------------------------------------------------------------------- down

stop() { # stop NAME: TERM, then KILL after 15 s
  local pid
  if running "$1"; then
    read -r pid _ <"$PIDS/$1.pid"
    kill -TERM "$pid" 2>/dev/null || true
    wait_for "$1 to stop" 15 dead "$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDS/$1.pid"
}

cmd_down() {
  stop coredns
  stop kube-proxy
  [[ -x $BIN/kube-proxy ]] && "$BIN/kube-proxy" --cleanup --proxy-mode=nftables >/dev/null 2>&1 || true
  stop kubelet
  if running containerd; then
    # Through the CRI, so containerd also tears down each pod's network namespace.
    timeout 60 "$BIN/crictl" --runtime-endpoint "unix://$CONTAINERD_SOCK" rmp --all --force >/dev/null 2>&1 || true
  fi
  stop containerd
  # Shims of our containerd that outlived it (matched by our socket path, nothing broader).
  local pid
  for pid in $(grep -lsa -- "$CONTAINERD_SOCK" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  local d
  for d in kube-scheduler kube-controller-manager kube-apiserver etcd registry; do stop "$d"; done
  # Mounts under our state (volumes, rootfs, sandboxes' shm), deepest first.
  awk -v s="$STATE/" -v r="$RUN/" 'index($5, s) == 1 || index($5, r) == 1 { print $5 }' /proc/self/mountinfo |
    sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  # Pod cgroups the kubelet made (cgroupfs driver: /kubepods under each controller): whatever still
  # runs in them is a pod's process whose shim is gone.
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/unified/kubepods; do
    [[ -d $d ]] || continue
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done
    wait_for "the processes in $d to end" 10 bash -c "! find '$d' -name cgroup.procs -exec cat {} + | grep -q ." || true
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  nft delete table inet ix_k8s 2>/dev/null || true
  remove_kubelet_iptables
  ip link del "$BRIDGE" 2>/dev/null || true
  if [[ -f $STATE/sysctl.before ]]; then
    while read -r setting; do sysctl -qw "$setting" || true; done <"$STATE/sysctl.before"
  fi
  rm -rf --one-file-system "$STATE" "$RUN"
  log "cluster down (the build cache stays in $CACHE)"
}

# The kubelet's own iptables chains (KUBE-FIREWALL, KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT) and
# the rules that jump to them.
remove_kubelet_iptables() {
  local ipt t rule chain
  for ipt in iptables ip6tables; do
    for t in mangle nat filter; do
      "$ipt" -t "$t" -S 2>/dev/null | grep -E '^-A [^ ]+ .*-j KUBE-' | grep -vE '^-A KUBE-' | while read -r rule; do
        eval "$ipt -t $t -D ${rule#-A }" || true
      done || true
      for chain in $("$ipt" -t "$t" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[A-Z-]*\)$/\1/p'); do
        "$ipt" -t "$t" -F "$chain" && "$ipt" -t "$t" -X "$chain" || true
      done
    done
  done
}

# ------------------------------------------------------------------------------------ the others

cmd_env() {
  echo "export KUBECONFIG=$STATE/admin.kubeconfig"
  echo "export PATH=$BIN:\$PATH"
  echo "export IX_K8S_REGISTRY=$REGISTRY"
}

cmd_status() {
  local d
  for d in "${DAEMONS[@]}"; do
    if running "$d"; then echo "$d: running (pid $(cut -d' ' -f1 "$PIDS/$d.pid"))"; else echo "$d: stopped"; fi
  done
  running kube-apiserver && kubectl get nodes -o wide
  return 0
}

cmd_image() { # image ROOTFS NAME:TAG [ENTRYPOINT...]
  [[ $# -ge 2 ]] || die "usage: cluster.sh image ROOTFS NAME:TAG [ENTRYPOINT...]"
  local rootfs=$1 ref=$REGISTRY/$2 tmp
  shift 2
  tmp=$(mktemp -d)
  oci_layout "$rootfs" "$tmp/oci" "$@"
  push_layout "$tmp/oci" "$ref"
  rm -rf "$tmp"
  echo "$ref"
}

[[ $EUID -eq 0 ]] || die "run as root"
case ${1:-} in
  build) cmd_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  image) shift && cmd_image "$@" ;;
  *) die "usage: cluster.sh build|up|down|env|status|image" ;;
esac
