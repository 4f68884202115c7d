// The cloud app on Flex Consumption (FC1, Linux) as an Azure Functions custom handler: runtime "custom", the
// package being the self-contained linux-x64 publish of functions/ (host.json, one folder per function, and the
// LdFleet.Functions executable). The app reaches Storage and Service Bus with its user-assigned identity only.

@description('Name of the function app.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags for every resource; the app also gets the azd-service-name tag azd deploys by.')
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Storage account for AzureWebJobsStorage, the tables and the deployment package.')
param storageAccountName string

@description('Blob endpoint of that account.')
param storageBlobEndpoint string

@description('Table endpoint of that account.')
param storageTableEndpoint string

@description('Blob container the package is deployed to.')
param deploymentContainerName string

@description('Service Bus host name, <namespace>.servicebus.windows.net.')
param serviceBusFullyQualifiedNamespace string

@description('Application Insights component.')
param applicationInsightsName string

@description('NCRONTAB schedule of the sweep (re-drives unsent commands, times out silent operations).')
param sweepSchedule string

@description('NCRONTAB schedule of the cleanup job.')
param cleanupSchedule string

@description('Entra ID settings of the API (client id, tenant id, audience); empty values are left out.')
param entra object

@description('Most instances Flex Consumption may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

var entraSettings = union(
  empty(entra.clientId) ? {} : { AzureAd__ClientId: entra.clientId },
  empty(entra.tenantId) ? {} : { AzureAd__TenantId: entra.tenantId },
  empty(entra.audience) ? {} : { AzureAd__Audience: entra.audience },
  empty(entra.clientId) ? {} : { AzureAd__Instance: environment().authentication.loginEndpoint }
)

// Flex Consumption takes the runtime from functionAppConfig; FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION must not be set.
var appSettings = union(
  {
    // Host storage through the identity (no connection string exists: the account refuses shared keys).
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId

    // The relay-results trigger (function.json connection "ServiceBusConnection").
    ServiceBusConnection__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
    ServiceBusConnection__credential: 'managedidentity'
    ServiceBusConnection__clientId: identityClientId

    // Telemetry with Entra ID (the component has local authentication disabled).
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

    // The app's own clients: DefaultAzureCredential picks the user-assigned identity named here.
    AZURE_CLIENT_ID: identityClientId
    Storage__TableServiceUri: storageTableEndpoint
    Transport__ConnectionString: 'Endpoint=sb://${serviceBusFullyQualifiedNamespace}/'

    // In Azure the Functions host fires the timers and delivers results (function.json); the app's self-hosted
    // sweep loop and results consumer would compete with it.
    Operations__SweepEnabled: 'false'
    RelayResults__Enabled: 'false'
    Operations__SweepSchedule: sweepSchedule
    Cleanup__Schedule: cleanupSchedule

    // Results come over Service Bus in Azure; the Storage Queues twin of relay-results stays off.
    'AzureWebJobs.relay-results-storage.Disabled': 'true'
  },
  entraSettings
)

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: appSettings
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
