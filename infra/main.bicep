// LdFleet in Azure: the cloud app on Functions Flex Consumption as a .NET isolated worker (dotnet-isolated), its
// workflows as Durable Functions on the Azure Storage backend, its state in Storage Tables, commands to the sites on
// Service Bus, relay results on the Storage queue ldfleet-results, telemetry in Application Insights. `azd up`
// provisions this and deploys functions/ (azure.yaml). Adding a site is one entry in `sites` (main.parameters.json)
// and `azd provision`.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; it seeds the resource names and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region for every resource; it must offer Flex Consumption.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the user (or service principal) running azd; it gets the same data roles as the app, so the app can also run on that machine against these resources. Empty to skip.')
param principalId string = ''

@description('Kind of principal principalId is.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Site ids (lower-case letters, digits, single hyphens; at most 40 characters). Each gets its command queue ldfleet-site-<id> and a Listen-only SAS rule on it for its relay.')
param sites siteId[]

@description('Application (client) id of the API\'s Entra ID app registration; empty until one exists.')
param apiClientId string = ''

@description('Tenant of that app registration.')
param apiTenantId string = tenant().tenantId

@description('Audience API tokens are issued for; defaults to api://<apiClientId>.')
param apiAudience string = ''

@description('NCRONTAB schedule (6 fields) of the cleanup job.')
param cleanupSchedule string = '0 30 3 * * *'

@description('Most instances the app may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Always-ready instances per Flex Consumption scale group. durable: Durable Functions on the Azure Storage backend need one (the docs\' advice for Flex), or an orchestration waits for the scale controller after idle. function:RelayResults: relay answers drive every operation, and a cold queue trigger would add its start-up to each answer after idle. http: 0, the API takes a cold start after idle; set 1 to avoid it.')
param alwaysReady array = [
  {
    name: 'durable'
    instanceCount: 1
  }
  {
    name: 'function:RelayResults'
    instanceCount: 1
  }
]

@description('A site id: the name part of queue ldfleet-site-<id>.')
@minLength(1)
@maxLength(40)
type siteId = string

var resultsQueueName = 'ldfleet-results'
// The Durable Functions task hub. Each environment has its own storage account; a local host pointed at this one
// (scripts/azd/write-local-settings.*) uses another hub name so the two never steal each other's work.
var taskHubName = 'ldfleet'
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-ldfleet-${resourceToken}'

// Names are computed here rather than read back from module outputs, so What-If can resolve every resource id.
var names = {
  identity: 'id-ldfleet-${resourceToken}'
  logAnalytics: 'log-ldfleet-${resourceToken}'
  applicationInsights: 'appi-ldfleet-${resourceToken}'
  storage: 'stldfleet${take(resourceToken, 15)}'
  serviceBus: 'sb-ldfleet-${resourceToken}'
  plan: 'plan-ldfleet-${resourceToken}'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${take(resourceToken, 7)}'
    resultsQueueName: resultsQueueName
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: names.serviceBus
    location: location
    tags: tags
    sites: sites
  }
}

module appRoles 'modules/rbac.bicep' = {
  name: 'rbac-app'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    principalKey: resourceId(subscription().subscriptionId, rg.name, 'Microsoft.ManagedIdentity/userAssignedIdentities', names.identity)
    principalType: 'ServicePrincipal'
    storageAccountName: names.storage
    serviceBusNamespaceName: names.serviceBus
    applicationInsightsName: names.applicationInsights
  }
  dependsOn: [
    storage
    serviceBus
    monitoring
  ]
}

module developerRoles 'modules/rbac.bicep' = if (!empty(principalId)) {
  name: 'rbac-developer'
  scope: rg
  params: {
    principalId: principalId
    principalKey: principalId
    principalType: principalType
    storageAccountName: names.storage
    serviceBusNamespaceName: names.serviceBus
    applicationInsightsName: names.applicationInsights
  }
  dependsOn: [
    storage
    serviceBus
    monitoring
  ]
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: functionAppName
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    applicationInsightsName: names.applicationInsights
    cleanupSchedule: cleanupSchedule
    taskHubName: taskHubName
    entra: {
      clientId: apiClientId
      tenantId: empty(apiClientId) ? '' : apiTenantId
      audience: empty(apiClientId) ? '' : (empty(apiAudience) ? 'api://${apiClientId}' : apiAudience)
    }
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReady: alwaysReady
  }
  // The app starts as soon as it exists; its identity must already hold its roles by then.
  dependsOn: [
    appRoles
    monitoring
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output LDFLEET_API_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output LDFLEET_TASK_HUB string = taskHubName
output STORAGE_TABLE_SERVICE_URI string = storage.outputs.tableEndpoint
output SERVICEBUS_NAMESPACE string = serviceBus.outputs.name
output SERVICEBUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output LDFLEET_SITES string[] = sites
output LDFLEET_RELAY_RULES string[] = serviceBus.outputs.relayRuleNames
