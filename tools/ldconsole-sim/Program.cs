using LdFleet.LdConsoleSim;

return SimRunner.Run(args);
