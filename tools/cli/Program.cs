using LdFleet.Cli;

return await CliApp.RunAsync(args, Console.Error);
