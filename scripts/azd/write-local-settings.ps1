#Requires -Version 7.0
# azd postprovision hook: writes functions/local.settings.json for `func start` (the isolated worker under a local
# Functions host) against the resources just provisioned (your own Entra ID sign-in; azd gave you the same data roles
# as the app), and prints how each site's relay gets its Service Bus connection strings. azd passes its environment's
# values (infra outputs) as variables. The local host gets a task hub of its own, so it never runs the Azure app's
# orchestrations; it still competes with the Azure app for the results queue.
$ErrorActionPreference = 'Stop'
foreach ($name in 'AZURE_STORAGE_ACCOUNT_NAME', 'SERVICEBUS_FULLY_QUALIFIED_NAMESPACE', 'STORAGE_TABLE_SERVICE_URI') {
    if (-not [Environment]::GetEnvironmentVariable($name)) { throw "$name is not set: run this from azd (azd provision)." }
}

$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$namespace = $env:SERVICEBUS_FULLY_QUALIFIED_NAMESPACE
$hub = if ($env:LDFLEET_TASK_HUB) { $env:LDFLEET_TASK_HUB } else { 'ldfleet' }
$settings = [ordered]@{
    IsEncrypted = $false
    Values      = [ordered]@{
        FUNCTIONS_WORKER_RUNTIME         = 'dotnet-isolated'
        AzureWebJobsStorage__accountName = $env:AZURE_STORAGE_ACCOUNT_NAME
        DurableTaskHub                   = "${hub}local"
        CleanupSchedule                  = '0 30 3 * * *'
        Storage__TableServiceUri         = $env:STORAGE_TABLE_SERVICE_URI
        Transport__ConnectionString      = "Endpoint=sb://$namespace/"
    }
}
$path = Join-Path $root 'functions/local.settings.json'
$settings | ConvertTo-Json -Depth 3 | Set-Content -Path $path -Encoding utf8NoBOM
Write-Host "Wrote $path (no secrets: it uses your Entra ID sign-in). It points at the Azure resources with its own task hub; a local host still competes with the Azure app for the results queue."

$sites = @()
if ($env:LDFLEET_SITES) { $sites = @($env:LDFLEET_SITES | ConvertFrom-Json) }
if ($sites.Count -eq 0) { return }
Write-Host ''
Write-Host "API: $env:LDFLEET_API_URL/api"
Write-Host 'Each site''s relay needs two connection strings (they hold keys: copy them to the relay PC, do not paste them into chats or tickets):'
foreach ($site in $sites) {
    Write-Host "  site ${site}:"
    Write-Host "    az servicebus queue authorization-rule keys list -g $env:AZURE_RESOURCE_GROUP --namespace-name $env:SERVICEBUS_NAMESPACE --queue-name ldfleet-site-$site --name relay-$site --query primaryConnectionString -o tsv"
    Write-Host "    az servicebus queue authorization-rule keys list -g $env:AZURE_RESOURCE_GROUP --namespace-name $env:SERVICEBUS_NAMESPACE --queue-name ldfleet-results --name relay-$site --query primaryConnectionString -o tsv"
}
Write-Host 'Then on the site''s Windows PC: scripts/relay/Install-LdFleetRelay.ps1 (README, "Install a site relay").'
