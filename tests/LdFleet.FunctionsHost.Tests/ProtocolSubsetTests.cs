using Google.Protobuf.Reflection;
using LdFleet.FunctionsHost.Tests.Rpc;

namespace LdFleet.FunctionsHost.Tests;

/// <summary>
/// The double's hand-written .proto against the protocol the worker itself was compiled with (its generated message
/// classes are internal to Microsoft.Azure.Functions.Worker.Grpc, so they are read by reflection here, never used):
/// same package and service, and every field the double knows has the worker's number, name and type, down through
/// every message it reaches. A worker upgrade that renumbers or retypes a field fails here, not as a silent mismatch.
/// </summary>
public sealed class ProtocolSubsetTests
{
    private static readonly MessageDescriptor Worker = (MessageDescriptor)Type.GetType(
        "Microsoft.Azure.Functions.Worker.Grpc.Messages.StreamingMessage, Microsoft.Azure.Functions.Worker.Grpc", throwOnError: true)!
        .GetProperty("Descriptor")!.GetValue(null)!;

    [Fact]
    public void PackageAndService_AreTheWorkers()
    {
        Assert.Equal(Worker.File.Package, StreamingMessage.Descriptor.File.Package);
        var workerService = Assert.Single(Worker.File.Services);
        var service = Assert.Single(StreamingMessage.Descriptor.File.Services);
        Assert.Equal(workerService.FullName, service.FullName);
        var method = Assert.Single(service.Methods);
        var workerMethod = Assert.Single(workerService.Methods, m => m.Name == method.Name);
        Assert.True(method.IsClientStreaming && method.IsServerStreaming && workerMethod.IsClientStreaming && workerMethod.IsServerStreaming);
        Assert.Equal(workerMethod.InputType.FullName, method.InputType.FullName);
    }

    [Fact]
    public void EveryFieldOfTheSubset_MatchesTheWorkersField()
    {
        var problems = new List<string>();
        Compare(StreamingMessage.Descriptor, Worker, problems, []);

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void TheSubset_CoversTheMessagesOfTheHandshakeLoadAndInvocation()
    {
        var content = StreamingMessage.Descriptor.Oneofs.Single(o => o.Name == "content").Fields.Select(f => f.Name).ToList();

        foreach (var name in (string[])["start_stream", "worker_init_request", "worker_init_response", "functions_metadata_request", "function_metadata_response", "function_load_request", "function_load_response", "invocation_request", "invocation_response", "rpc_log", "worker_terminate"])
        {
            Assert.Contains(name, content);
        }
    }

    private static void Compare(MessageDescriptor ours, MessageDescriptor theirs, List<string> problems, HashSet<string> seen)
    {
        if (!seen.Add(ours.FullName))
        {
            return;
        }

        if (ours.FullName != theirs.FullName)
        {
            problems.Add($"{ours.FullName} stands for {theirs.FullName}");
        }

        foreach (var field in ours.Fields.InDeclarationOrder())
        {
            var match = theirs.FindFieldByNumber(field.FieldNumber);
            if (match is null)
            {
                problems.Add($"{ours.FullName}.{field.Name} = {field.FieldNumber}: the worker has no field {field.FieldNumber}");
                continue;
            }

            if (match.Name != field.Name || match.FieldType != field.FieldType || match.IsRepeated != field.IsRepeated || match.IsMap != field.IsMap)
            {
                problems.Add($"{ours.FullName}.{field.Name} = {field.FieldNumber} ({field.FieldType}) is the worker's {match.Name} ({match.FieldType})");
                continue;
            }

            if (field.FieldType == FieldType.Message)
            {
                Compare(field.MessageType, match.MessageType, problems, seen);
            }
            else if (field.FieldType == FieldType.Enum)
            {
                foreach (var value in field.EnumType.Values)
                {
                    if (match.EnumType.FindValueByNumber(value.Number)?.Name != value.Name)
                    {
                        problems.Add($"{field.EnumType.FullName}.{value.Name} = {value.Number} is not the worker's");
                    }
                }
            }
        }
    }
}
