// The cloud app on Flex Consumption (FC1, Linux) as an Azure Functions .NET isolated worker: runtime dotnet-isolated
// in functionAppConfig, the package being the framework-dependent publish of functions/ that azd zips (host.json,
// functions.metadata, worker.config.json, extensions.json and .azurefunctions/ at its root). The app reaches Storage
// and Service Bus with its user-assigned identity only.

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

@description('Storage account for AzureWebJobsStorage (host, Durable Functions task hub, results queue), the tables and the deployment package.')
param storageAccountName string

@description('Blob endpoint of that account.')
param storageBlobEndpoint string

@description('Table endpoint of that account.')
param storageTableEndpoint string

@description('Blob container the package is deployed to.')
param deploymentContainerName string

@description('Service Bus host name, <namespace>.servicebus.windows.net (relay commands).')
param serviceBusFullyQualifiedNamespace string

@description('Application Insights component.')
param applicationInsightsName string

@description('NCRONTAB schedule of the cleanup timer function (app setting CleanupSchedule).')
param cleanupSchedule string

@description('Durable Functions task hub (3-45 letters and digits, starting with a letter); one per environment.')
@minLength(3)
@maxLength(45)
param taskHubName string

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

@description('Always-ready instances per scale group (durable, http, function:<name>).')
param alwaysReady alwaysReadyGroup[]

@description('An always-ready setting of one Flex Consumption scale group.')
type alwaysReadyGroup = {
  @description('durable, http, blob, or function:<function name>.')
  name: string

  @minValue(0)
  @maxValue(1000)
  instanceCount: int
}

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

// Flex Consumption takes the runtime from functionAppConfig and sets the host version itself:
// FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION must not be set (nor WEBSITE_RUN_FROM_PACKAGE).
var appSettings = union(
  {
    // The host, the Durable Functions task hub and the results queue trigger, through the identity (no connection
    // string exists: the account refuses shared keys). Durable takes accountName + credential + clientId, not a
    // resource id.
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId

    // host.json: extensions.durableTask.hubName is %DurableTaskHub%, the cleanup timer's schedule %CleanupSchedule%.
    DurableTaskHub: taskHubName
    CleanupSchedule: cleanupSchedule

    // Telemetry with Entra ID (the component has local authentication disabled).
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

    // The app's own clients: DefaultAzureCredential picks the user-assigned identity named here.
    AZURE_CLIENT_ID: identityClientId
    Storage__TableServiceUri: storageTableEndpoint
    Transport__ConnectionString: 'Endpoint=sb://${serviceBusFullyQualifiedNamespace}/'
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
        alwaysReady: alwaysReady
      }
      // The newest .NET Flex Consumption lists for the isolated worker, and the one functions/ targets (net10.0).
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
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
