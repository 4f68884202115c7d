#Requires -Version 7.0
# azd prepackage hook: builds the Functions package azure.yaml deploys (artifacts/azd/ldfleet-functions.zip):
# functions/ published self-contained for linux-x64, host.json and every function.json at the root, zipped with
# Unix modes so the handler is executable on Linux even when the package is built on Windows
# (see functions/FunctionApp/FunctionApp.targets).
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$out = Join-Path $root 'artifacts/azd'
Remove-Item -Recurse -Force -ErrorAction SilentlyContinue (Join-Path $out 'functions'), (Join-Path $out 'ldfleet-functions.zip')
dotnet publish (Join-Path $root 'functions/LdFleet.Functions.csproj') -c Release -nologo `
    -o (Join-Path $out 'functions') "-p:FunctionAppZip=$(Join-Path $out 'ldfleet-functions.zip')"
if ($LASTEXITCODE -ne 0) { throw "dotnet publish failed ($LASTEXITCODE)." }
