using LdFleet.Relay.Execution;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.Polling;

var builder = Host.CreateApplicationBuilder(args);

builder.AddRelayOptions();
builder.AddLdPlayerHosts();
builder.AddCommandExecution();
builder.AddCommandPolling();

builder.Build().Run();
