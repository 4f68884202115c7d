using LdFleet.Relay.Execution;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.Polling;
using LdFleet.Relay.Reporting;

if (args is [InventoryCommand.Name, ..])
{
    return await InventoryCommand.RunAsync(args[1..], Console.Out, Console.Error);
}

var builder = Host.CreateApplicationBuilder(args);

builder.AddRelayOptions();
builder.AddLdPlayerHosts();
builder.AddCommandExecution();
builder.AddCommandPolling();
builder.AddRelayReporting();

await builder.Build().RunAsync();
return 0;
