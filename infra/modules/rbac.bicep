// Data-plane roles for one principal: the function app's identity, and optionally the developer who provisions
// (so the app can also run on their machine against the same resources). Names are guid(scope, principal, role),
// so re-provisioning finds the same assignments instead of failing on duplicates.

@description('Object id of the principal that receives the roles.')
param principalId string

@description('A stable, deploy-time-known name for the principal (the identity\'s resource id, or the user\'s object id), used in the assignment names so What-If can predict them; a managed identity\'s object id is only known once it exists.')
param principalKey string

@description('Kind of principal; ServicePrincipal for managed identities (skips the directory-replication wait).')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string

@description('Storage account holding tables, queues and the deployment container.')
param storageAccountName string

@description('Service Bus namespace holding the site command queues.')
param serviceBusNamespaceName string

@description('Application Insights component the app sends telemetry to with Entra ID.')
param applicationInsightsName string

// Built-in role definition ids (the same in every tenant).
var roles = {
  // Tables: the app's tables (it creates them at start) and the Durable Functions task hub's instance and history
  // tables (and its partition table).
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Queues: the task hub's control and work-item queues, and the results queue the RelayResults queue trigger reads
  // (and its poison queue, which the host creates).
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Blobs: the deployment package, the host's keys, timer schedules and singleton locks, and the task hub's partition
  // leases and large payloads. The Functions host asks for Owner on identity-based AzureWebJobsStorage.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Service Bus: the app sends commands to the sites' queues (the transport; its rights are the Service Bus work's
  // to narrow).
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
  // Application Insights with local authentication disabled.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.storageTableDataContributor, roles.storageQueueDataContributor, roles.storageBlobDataOwner]: {
    name: guid(storage.id, principalKey, role)
    scope: storage
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

resource serviceBusOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(serviceBus.id, principalKey, roles.serviceBusDataOwner)
  scope: serviceBus
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalKey, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}
