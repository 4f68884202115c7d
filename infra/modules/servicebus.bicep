// Service Bus (Standard): one command queue per site. Results travel on the Storage queue ldfleet-results (the relay
// holds an add-only SAS for it, issued by the API), read by the RelayResults queue trigger: no Service Bus trigger
// package is served to this build, and a Storage queue keeps answers when the cloud app is down.
//
// Relays run on Windows PCs at the sites and cannot use a managed identity, so each site gets a SAS rule scoped to its
// own command queue, relay-<siteId> on ldfleet-site-<siteId>, with Listen only: the relay reads its own commands and
// cannot send commands (it checks that its queue exists with a peek, not a sender). A compromised site's key is
// revoked by regenerating its rule without touching any other site.

@description('Name of the Service Bus namespace.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('The site ids; each gets queue ldfleet-site-<id> and the SAS rule described above.')
param sites string[]

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    // SAS stays on for the relays; the function app itself uses its managed identity.
    disableLocalAuth: false
  }
}

// Commands carry their own deliver-by deadline and the cloud times out what no relay picked up, so an expired
// command is simply dropped rather than dead-lettered.
resource commandQueues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for site in sites: {
    parent: namespace
    name: 'ldfleet-site-${site}'
    properties: {
      lockDuration: 'PT1M'
      maxDeliveryCount: 10
      defaultMessageTimeToLive: 'P1D'
      deadLetteringOnMessageExpiration: false
    }
  }
]

resource siteCommandRules 'Microsoft.ServiceBus/namespaces/queues/authorizationRules@2024-01-01' = [
  for (site, i) in sites: {
    parent: commandQueues[i]
    name: 'relay-${site}'
    properties: {
      rights: [
        'Listen'
      ]
    }
  }
]

output name string = namespace.name

// serviceBusEndpoint is https://<namespace>.servicebus.windows.net:443/; clients want the bare host name.
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '/')[2], ':')[0]
output commandQueues string[] = [for (site, i) in sites: commandQueues[i].name]
output relayRuleNames string[] = [for (site, i) in sites: siteCommandRules[i].name]
