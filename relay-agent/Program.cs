using LdFleet.Relay.Hosting;

return await RelayHost.RunAsync(args, Console.Error);
