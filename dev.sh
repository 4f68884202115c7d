#!/usr/bin/env bash
# LdFleet developer entry point.
#   ./dev.sh up     build, then run the whole fleet locally (Azurite + cloud app + relay + 2 simulated hosts)
#   ./dev.sh up --servicebus   the same with commands on Service Bus: the SDK against the in-repo test broker
#   ./dev.sh test   build and run every test (each test assembly starts and stops its own Azurite)
#   ./dev.sh bench [--quick]         build, then run every benchmark on one local stack and print one table
#   ./dev.sh bench --reliability     the fault matrix and a short soak, with a table of counts per fault, and the
#                                    hostile-input walk at 5,000 requests with its counts per caller
#   ./dev.sh bench --soak [minutes]  the mixed-workload memory soak (30 minutes unless given)
#   ./dev.sh token [Fleet.Read|Fleet.Operate|Fleet.Admin]   print a development-issuer token for the local API
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

configuration="${LDFLEET_CONFIGURATION:-Release}"
api_port="${LDFLEET_PORT:-5080}"
state_dir="$root/.fleet"

log() { printf '\033[1m[ldfleet]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[ldfleet] %s\033[0m\n' "$*" >&2; exit 1; }

apt_updated=""
# Installs Debian packages as root without starting their system services (policy-rc.d answers "no"): the
# tests start private brokers and SSH servers on free loopback ports and need nothing running system-wide.
apt_install() {
  [ "$(id -u)" -eq 0 ] || die "Missing packages: $*. Install them (e.g. sudo apt-get install $*) or run as root."
  log "installing $* from the distribution's packages"
  local guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=1
  fi
  [ -n "$apt_updated" ] || { apt-get update -qq && apt_updated=1; }
  local status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || status=$?
  [ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d
  [ "$status" -eq 0 ] || die "apt-get install $* failed ($status)."
}

ensure_tools() {
  command -v dotnet >/dev/null || die "The .NET 10 SDK is required (dotnet not found on PATH)."
  command -v npm >/dev/null || apt_install nodejs npm
  # dev.sh up waits on the health endpoint with curl, and the README's examples use it; a fresh Debian lacks it.
  command -v curl >/dev/null || apt_install curl
  # The relay's SSH tests start a throwaway OpenSSH server on 127.0.0.1 and make keys with ssh-keygen.
  if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null; then
    apt_install openssh-server openssh-client
  fi
  # The dashboard tests drive Debian's headless Chromium with Playwright (its own browser downloads are not used).
  [ -x /usr/bin/chromium ] || apt_install chromium
  # Azurite for the tests' storage; Redocly CLI and Spectral for the OpenAPI contract test (Api/OpenApiContractTests).
  if [ ! -x node_modules/.bin/azurite ] || [ ! -x node_modules/.bin/redocly ] || [ ! -x node_modules/.bin/spectral ] \
    || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing Azurite, Redocly CLI and Spectral (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build() {
  log "building ($configuration)"
  dotnet build LdFleet.slnx -c "$configuration" -nologo -clp:ErrorsOnly
  build_simulator
}

# The ldconsole simulator is spawned for every simulated ldconsole call; a NativeAOT build starts in ~15 ms
# instead of ~100 ms, so tests and benchmarks measure LdFleet rather than JIT start-up.
build_simulator() {
  local aot_dir="$state_dir/sim-aot"
  if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ]; then
    log "building the NativeAOT ldconsole simulator"
    if dotnet publish tools/ldconsole-sim/LdFleet.LdConsoleSim.csproj -c Release -r linux-x64 -p:PublishAot=true \
         -p:NuGetLockFilePath=obj/aot.packages.lock.json -o "$aot_dir" -nologo -clp:ErrorsOnly >/dev/null; then
      export LDFLEET_SIMULATOR="$aot_dir/ldconsole"
      return
    fi
    log "NativeAOT build failed; using the JIT simulator (slower start-up)"
  fi
  export LDFLEET_SIMULATOR="$root/tools/ldconsole-sim/bin/$configuration/net10.0/ldconsole"
}

# What deployment ships, published once before the tests rather than from inside a test while the other test
# assemblies run: the Functions app's publish folder (what azd zips and deploys; tests/LdFleet.Deployment.Tests checks
# it, tests/LdFleet.FunctionsHost.Tests starts it under the host double) and the win-x64 relay.
publish_packages() {
  local dir="$state_dir/publish"
  log "publishing the Azure Functions app and the win-x64 relay"
  rm -rf "$dir"
  dotnet publish functions/LdFleet.Functions.csproj -c "$configuration" -nologo -clp:ErrorsOnly -o "$dir/functions" >/dev/null
  dotnet publish relay-agent/LdFleet.Relay.csproj -p:PublishProfile=win-x64 -p:PublishDir="$dir/relay-win-x64/" \
    -nologo -clp:ErrorsOnly >/dev/null
  export LDFLEET_PUBLISH_DIR="$dir"
}

cmd_test() {
  ensure_tools
  build
  publish_packages
  log "running tests"
  local out status
  out="$(mktemp)"
  set +e
  dotnet test LdFleet.slnx -c "$configuration" --no-build -nologo "$@" 2>&1 | tee "$out"
  status=${PIPESTATUS[0]}
  set -e
  # One closing line for the whole run, summed over the test assemblies' own summaries.
  awk '
    /(Passed|Failed)! +- +Failed:/ {
      for (i = 1; i <= NF; i++) {
        if ($i == "Failed:")  { f += $(i+1) + 0 }
        if ($i == "Passed:")  { p += $(i+1) + 0 }
        if ($i == "Skipped:") { s += $(i+1) + 0 }
      }
    }
    END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }
  ' "$out"
  rm -f "$out"
  return "$status"
}

# Benchmarks print figures, they never fail; results also land in artifacts/bench/<timestamp>/ (git-ignored).
cmd_bench() {
  local mode="all" profile="" minutes="30"
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) profile="--quick" ;;
      --reliability) mode="reliability" ;;
      --soak) mode="soak"; if [[ "${2:-}" =~ ^[0-9]+([.][0-9]+)?$ ]]; then minutes="$2"; shift; fi ;;
      *) die "usage: ./dev.sh bench [--quick] | --reliability | --soak [minutes]" ;;
    esac
    shift
  done
  ensure_tools
  build
  case "$mode" in
    all)
      log "running the ${profile:+quick }bench (Azurite, the Service Bus test broker, cloud app, relay, simulated hosts)"
      dotnet "tools/bench/bin/$configuration/net10.0/LdFleet.Bench.dll" all $profile
      ;;
    reliability)
      local status=0
      dotnet test tests/LdFleet.Reliability.Tests -c "$configuration" --no-build -nologo --filter "Category=Reliability" || status=$?
      [ ! -f artifacts/reliability/fault-matrix.md ] || cat artifacts/reliability/fault-matrix.md
      # The hostile-input walk over every operation of the OpenAPI document, at bench size; it writes its own table.
      log "walking every API operation with 5,000 hostile requests"
      rm -f artifacts/reliability/hostile-input.md
      LDFLEET_HOSTILE_REQUESTS=5000 dotnet test tests/LdFleet.Functions.Tests -c "$configuration" --no-build -nologo \
        --filter "FullyQualifiedName~HostileWalkTests" || status=$?
      [ ! -f artifacts/reliability/hostile-input.md ] || cat artifacts/reliability/hostile-input.md
      return "$status"
      ;;
    soak)
      log "soaking for $minutes minutes"
      LDFLEET_SOAK_MINUTES="$minutes" dotnet test tests/LdFleet.Reliability.Tests -c "$configuration" --no-build -nologo \
        --filter "FullyQualifiedName~SoakTests" --logger "console;verbosity=detailed"
      ;;
  esac
}

# The development issuer's signing key for the local fleet: random, kept with the local state so tokens
# survive a restart of ./dev.sh up. The app accepts this issuer only in the Development environment.
dev_key() {
  local key_file="$state_dir/dev-issuer.key"
  if [ ! -s "$key_file" ]; then
    mkdir -p "$state_dir"
    (umask 077 && head -c 32 /dev/urandom | base64 > "$key_file")
  fi
  cat "$key_file"
}

cmd_token() {
  local role="${1:-Fleet.Admin}"
  local dll="functions/bin/$configuration/net10.0/LdFleet.Functions.dll"
  [ -f "$dll" ] || die "Build first (./dev.sh up or dotnet build LdFleet.slnx -c $configuration)."
  ASPNETCORE_ENVIRONMENT=Development Auth__DevIssuer__Enabled=true Auth__DevIssuer__SigningKey="$(dev_key)" \
    dotnet "$dll" dev-token --role "$role" --name "${USER:-developer}"
}

pids=()
# Stops what cmd_up started, last started first: the relay while Azurite still runs, so it can hand its in-flight
# commands back to the queue (it gives up after Relay:ShutdownTimeout when the queue is gone), then the cloud app,
# then Azurite. Each gets 10 s after SIGTERM before it is killed.
stop_all() {
  trap - INT TERM EXIT
  if [ "${#pids[@]}" -gt 0 ]; then
    log "stopping"
    local i
    for (( i=${#pids[@]}-1; i>=0; i-- )); do stop_pid "${pids[$i]}"; done
  fi
}

stop_pid() {
  local pid="$1" killer
  kill "$pid" 2>/dev/null || return 0
  ( sleep 10; kill -KILL "$pid" 2>/dev/null ) &
  killer=$!
  wait "$pid" 2>/dev/null || true
  kill "$killer" 2>/dev/null || true
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cmd_up() {
  local servicebus=""
  case "${1:-}" in
    "") ;;
    --servicebus) servicebus=1 ;;
    *) die "usage: ./dev.sh up [--servicebus]" ;;
  esac
  ensure_tools
  build
  mkdir -p "$state_dir/azurite" "$state_dir/logs"
  local sb_port="${LDFLEET_SERVICEBUS_PORT:-5672}"
  for port in 10000 10001 10002 "$api_port" ${servicebus:+"$sb_port"}; do
    port_free "$port" || die "Port $port on 127.0.0.1 is in use; stop what uses it (or set LDFLEET_PORT / LDFLEET_SERVICEBUS_PORT)."
  done

  trap stop_all INT TERM EXIT
  local connection="UseDevelopmentStorage=true"
  local simulator="$LDFLEET_SIMULATOR"
  # Commands travel on the storage account's queues unless --servicebus; results always do.
  local cloud_transport="$connection" relay_transport="$connection"
  if [ -n "$servicebus" ]; then
    local connections="$state_dir/servicebus-connections"
    rm -f "$connections"
    log "starting the Service Bus test broker on 127.0.0.1:$sb_port (queue ldfleet-site-lab, SAS rule relay-lab: Listen)"
    dotnet "tools/servicebus-broker/bin/$configuration/net10.0/ldfleet-servicebus-broker.dll" --port "$sb_port" --site-rule lab \
      --connections "$connections" >"$state_dir/logs/servicebus-broker.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 60); do [ -s "$connections" ] && break; sleep 0.5; done
    [ -s "$connections" ] || die "The Service Bus test broker did not start; see .fleet/logs/servicebus-broker.log."
    cloud_transport="$(sed -n 's/^ROOT=//p' "$connections")"
    relay_transport="$(sed -n 's/^SITE_lab=//p' "$connections")"
  fi

  log "starting Azurite (data in .fleet/azurite)"
  node_modules/.bin/azurite --silent --skipApiVersionCheck --disableTelemetry --disableProductStyleUrl \
    --location "$state_dir/azurite" --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    >"$state_dir/logs/azurite.log" 2>&1 &
  pids+=($!)

  for host in host-1 host-2; do
    if [ ! -f "$state_dir/hosts/$host/sim/settings.json" ]; then
      mkdir -p "$state_dir/hosts/$host"
      LDSIM_HOME="$state_dir/hosts/$host" "$simulator" sim:init --count 4 --profile LD9 --boot-delay-ms 5000 >/dev/null
      log "created simulated LDPlayer host $host with 4 emulators"
    fi
  done

  log "starting the cloud app on http://127.0.0.1:$api_port"
  ASPNETCORE_URLS="http://127.0.0.1:$api_port" ASPNETCORE_ENVIRONMENT=Development \
    Storage__ConnectionString="$connection" Transport__ConnectionString="$cloud_transport" \
    Auth__DevIssuer__Enabled=true Auth__DevIssuer__SigningKey="$(dev_key)" \
    dotnet "functions/bin/$configuration/net10.0/LdFleet.Functions.dll" > >(sed -u 's/^/[cloud] /') 2>&1 &
  pids+=($!)

  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$api_port/health/live" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fs "http://127.0.0.1:$api_port/health/live" >/dev/null || die "The cloud app did not come up; see the [cloud] lines above."

  log "starting the relay for site 'lab' (hosts host-1, host-2)"
  DOTNET_ENVIRONMENT=Development Relay__SiteId=lab Transport__ConnectionString="$relay_transport" \
    Transport__ResultsConnectionString="$connection" \
    Relay__JournalPath="$state_dir/relay-lab.db" Reporting__HeartbeatInterval=00:00:10 Reporting__InventoryInterval=00:00:30 \
    Relay__Hosts__0__Id=host-1 Relay__Hosts__0__LdConsolePath="$simulator" Relay__Hosts__0__Environment__LDSIM_HOME="$state_dir/hosts/host-1" \
    Relay__Hosts__1__Id=host-2 Relay__Hosts__1__LdConsolePath="$simulator" Relay__Hosts__1__Environment__LDSIM_HOME="$state_dir/hosts/host-2" \
    dotnet "relay-agent/bin/$configuration/net10.0/LdFleet.Relay.dll" > >(sed -u 's/^/[relay] /') 2>&1 &
  pids+=($!)

  local transport_text="Storage Queues (Azurite)"
  [ -z "$servicebus" ] || transport_text="Service Bus (Azure.Messaging.ServiceBus against the test broker on 127.0.0.1:$sb_port)"
  cat >&2 <<MSG

  LdFleet is running.  API: http://127.0.0.1:$api_port   (reference: http://127.0.0.1:$api_port/docs)
  Commands travel on $transport_text; results on Storage Queues (Azurite).
  Every API call needs a bearer token; the local development issuer mints them:
    TOKEN=\$(./dev.sh token Fleet.Admin)        # or Fleet.Read, Fleet.Operate
  Try:
    curl -si -X POST -H "Authorization: Bearer \$TOKEN" -H "Idempotency-Key: \$(cat /proc/sys/kernel/random/uuid)" \\
         http://127.0.0.1:$api_port/api/sites/lab/hosts/host-1/emulators/0/launch
    curl -s  -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$api_port/api/operations/<id from the Location header>
    curl -s  -H "Authorization: Bearer \$TOKEN" "http://127.0.0.1:$api_port/api/emulators?siteId=lab&state=running"
  Emulator state as LDPlayer reports it:
    LDSIM_HOME=.fleet/hosts/host-1 $simulator list2
  Press Ctrl+C to stop everything.

MSG
  wait -n "${pids[@]}" || true
  log "a component exited; shutting the rest down"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  test) shift; cmd_test "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  token) shift; cmd_token "$@" ;;
  *) echo "usage: ./dev.sh up [--servicebus] | test [dotnet test options] | bench [--quick | --reliability | --soak [minutes]] | token [role]" >&2; exit 2 ;;
esac
