#!/bin/sh
# azd postprovision hook: writes functions/local.settings.json for `func start` (the isolated worker under a local
# Functions host) against the resources just provisioned (your own Entra ID sign-in; azd gave you the same data roles
# as the app), and prints how each site's relay gets its Service Bus connection strings. azd passes its environment's
# values (infra outputs) as variables. The local host gets a task hub of its own, so it never runs the Azure app's
# orchestrations; it still competes with the Azure app for the results queue.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
: "${AZURE_STORAGE_ACCOUNT_NAME:?run this from azd (azd provision) so the infra outputs are set}"
: "${SERVICEBUS_FULLY_QUALIFIED_NAMESPACE:?run this from azd (azd provision)}"
: "${STORAGE_TABLE_SERVICE_URI:?run this from azd (azd provision)}"

settings="$root/functions/local.settings.json"
cat > "$settings" <<JSON
{
  "IsEncrypted": false,
  "Values": {
    "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated",
    "AzureWebJobsStorage__accountName": "$AZURE_STORAGE_ACCOUNT_NAME",
    "DurableTaskHub": "${LDFLEET_TASK_HUB:-ldfleet}local",
    "CleanupSchedule": "0 30 3 * * *",
    "Storage__TableServiceUri": "$STORAGE_TABLE_SERVICE_URI",
    "Transport__ConnectionString": "Endpoint=sb://$SERVICEBUS_FULLY_QUALIFIED_NAMESPACE/"
  }
}
JSON
echo "Wrote $settings (no secrets: it uses your Entra ID sign-in). It points at the Azure resources with its own task hub; a local host still competes with the Azure app for the results queue."

sites="$(printf '%s' "${LDFLEET_SITES:-[]}" | tr -d '[]" ' | tr ',' ' ')"
[ -n "$sites" ] || exit 0
echo
echo "API: ${LDFLEET_API_URL:-?}/api"
echo "Each site's relay needs two connection strings (they hold keys: copy them to the relay PC, do not paste them into chats or tickets):"
for site in $sites; do
  echo "  site $site:"
  echo "    az servicebus queue authorization-rule keys list -g ${AZURE_RESOURCE_GROUP:-<rg>} --namespace-name ${SERVICEBUS_NAMESPACE:-<ns>} --queue-name ldfleet-site-$site --name relay-$site --query primaryConnectionString -o tsv"
  echo "    az servicebus queue authorization-rule keys list -g ${AZURE_RESOURCE_GROUP:-<rg>} --namespace-name ${SERVICEBUS_NAMESPACE:-<ns>} --queue-name ldfleet-results --name relay-$site --query primaryConnectionString -o tsv"
done
echo "Then on the site's Windows PC: scripts/relay/Install-LdFleetRelay.ps1 (README, \"Install a site relay\")."
