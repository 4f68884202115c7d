using LdFleet.Functions.Api;
using LdFleet.Functions.Batches;
using LdFleet.Functions.Diagnostics;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations;
using LdFleet.Functions.RelayResults;
using LdFleet.Functions.Storage;

var builder = WebApplication.CreateBuilder(args);

builder.AddFleetStorage();
builder.AddOperations();
builder.AddInventory();
builder.AddRelayResults();
builder.AddFleetApi();

var app = builder.Build();

app.UseFleetApi();
app.MapOperationsApi();
app.MapBatchesApi();
app.MapDiagnostics();
app.MapInventoryApi();

app.Run();
