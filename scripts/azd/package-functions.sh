#!/bin/sh
# azd prepackage hook: builds the Functions package azure.yaml deploys (artifacts/azd/ldfleet-functions.zip):
# functions/ published self-contained for linux-x64, host.json and every function.json at the root, zipped with
# Unix modes so the handler is executable on Linux (see functions/FunctionApp/FunctionApp.targets).
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/artifacts/azd"
rm -rf "$out/functions" "$out/ldfleet-functions.zip"
dotnet publish "$root/functions/LdFleet.Functions.csproj" -c Release -nologo \
  -o "$out/functions" -p:FunctionAppZip="$out/ldfleet-functions.zip"
