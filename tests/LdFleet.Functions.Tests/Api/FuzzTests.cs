using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Storage;
using LdFleet.Functions.Tests.Inventory;
using LdFleet.Testing;

namespace LdFleet.Functions.Tests.Api;

/// <summary>
/// Thousands of malformed and hostile requests (broken JSON, wrong types, huge bodies, path traversal,
/// injection strings in ids, names, labels, filters and tokens) against every API endpoint with an Admin
/// token, so each gets past authentication to the code that must refuse it. Every answer must be a 4xx
/// problem+json, and afterwards the fleet's state (tables other than audit and idempotency, queues, blobs) must
/// be exactly as before. Runs on its own Azurite and app so nothing else moves the state meanwhile.
/// </summary>
public sealed class FuzzTests : IAsyncLifetime
{
    private const int Requests = 6000;
    private const string Site = "fuzz-site";
    private const string Host = "host-1";

    /// <summary>Strings no id, name, index, label or filter accepts. Path segments get these (escaped).</summary>
    private static readonly string[] Hostile =
    [
        "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "..\\..\\windows\\win.ini", "/", "%2e%2e", "a/b",
        "' or 1 eq 1 or '", "x' or PartitionKey ne '", "PartitionKey eq 'x'", "$filter=true", "'; DROP TABLE emulators; --",
        "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://x}", "%00", "\u202e", "ünïcödé", "ЛАБ", "🙂",
        "UPPER", "-lead", "trail-", "double--hyphen", "white space", "tab\tname", "semi;colon", "a=b&c=d",
        new string('a', 41), new string('x', 5000), "-1", "NaN",
    ];

    /// <summary>Valid as ids but not as emulator indexes; and control characters, which only bodies and queries carry.</summary>
    private static readonly string[] NotIndexes = ["null", "true", "0x10", "1e3", "99999999999", "1.5", "\u0000", "new\nline"];

    private AzuriteServer _azurite = null!;
    private FleetApp _app = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteServer.StartAsync();
        _app = FleetApp.Start(_azurite.ConnectionString);

        // Something to attack: a site with a host and labelled emulators.
        using var admin = _app.Client(FleetRoles.Admin);
        (await admin.PostAsync(new Uri("/api/sites", UriKind.Relative), new StringContent($"{{\"id\":\"{Site}\"}}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        (await admin.PutAsync(new Uri($"/api/sites/{Site}/hosts/{Host}", UriKind.Relative), new StringContent("{\"kind\":\"local\",\"capacity\":4}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        await _app.Get<InventoryStore>().ApplyInventoryAsync(InventoryApiTests.Report(Site, Host, DateTimeOffset.UtcNow, [0, 1, 2]), default);
        (await admin.PutAsync(new Uri($"/api/sites/{Site}/hosts/{Host}/emulators/0/labels", UriKind.Relative), new StringContent("{\"env\":\"prod\"}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    [Fact]
    public async Task HostileRequests_AreAll4xxProblems_AndChangeNothing()
    {
        var before = await SnapshotAsync();
        var random = new Random(20261123);
        var cases = Enumerable.Range(0, Requests).Select(_ => Generate(random)).ToList();
        var failures = new ConcurrentBag<string>();
        using var client = _app.Client(FleetRoles.Admin, "fuzzer");

        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, ct) =>
        {
            using var request = c.Build();
            using var response = await client.SendAsync(request, ct);
            var status = (int)response.StatusCode;
            var type = response.Content.Headers.ContentType?.MediaType;
            if (status is < 400 or >= 500 || type != "application/problem+json")
            {
                failures.Add($"{c}: {status} {type} {Truncate(await response.Content.ReadAsStringAsync(ct))}");
            }
        });

        Assert.True(failures.IsEmpty, $"{failures.Count} of {Requests} requests were not 4xx problem+json:\n" + string.Join('\n', failures.Take(25)));
        var after = await SnapshotAsync();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task NulInThePath_IsRefusedByKestrelBeforeTheApp()
    {
        // The one hostile input that never reaches the application: Kestrel refuses a request target that
        // decodes to a NUL with a bare 400 of its own (no problem+json possible), which is still no 5xx.
        using var client = _app.Client(FleetRoles.Admin);

        using var response = await client.GetAsync(new Uri("/api/sites/%00", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static FuzzCase Generate(Random random)
    {
        string H() => Hostile[random.Next(Hostile.Length)];
        string Seg() => Uri.EscapeDataString(H());
        string Index() => Uri.EscapeDataString(random.Next(3) == 0 ? NotIndexes[random.Next(NotIndexes.Length - 2)] : H());
        string Any() => random.Next(4) == 0 ? NotIndexes[random.Next(NotIndexes.Length)] : H();
        var json = "application/json";
        return random.Next(16) switch
        {
            0 => new("POST", "/api/sites", BadJson(random), json),
            1 => new("POST", "/api/sites", $"{{\"id\":{Literal(random.Next(4) == 0 ? NotIndexes[^2..][random.Next(2)] : H())}}}", json),
            2 => new("POST", "/api/sites", random.Next(4) switch
            {
                0 => "{\"id\":123}",
                1 => "{\"id\":[\"lab\"]}",
                2 => "{\"id\":null}",
                _ => $"{{\"id\":\"ok-{random.Next(1000)}\",\"admin\":true}}",
            }, json),
            3 => new("POST", "/api/sites", $"{{\"id\":\"x{random.Next(100)}\"}}", random.Next(2) == 0 ? "text/plain" : "application/xml"),
            4 => new("PUT", $"/api/sites/{Seg()}/hosts/{Seg()}", "{\"kind\":\"local\",\"capacity\":1}", json),
            5 => new("PUT", $"/api/sites/{Site}/hosts/{Host}", random.Next(6) switch
            {
                0 => "{\"kind\":\"local\",\"capacity\":-1}",
                1 => "{\"kind\":\"telnet\",\"capacity\":1}",
                2 => "{\"kind\":\"local\",\"capacity\":\"many\"}",
                3 => "{\"kind\":\"local\",\"capacity\":1e309}",
                4 => $"{{\"kind\":\"ssh\",\"capacity\":1,\"address\":{Literal(H() + " /")}}}",
                _ => BadJson(random),
            }, json),
            6 => new("PUT", $"/api/sites/{Site}/hosts/{Host}/emulators/{(random.Next(2) == 0 ? "0" : Index())}/labels", random.Next(5) switch
            {
                0 => $"{{{Literal(Any() + "X")}:\"v\"}}",
                1 => $"{{\"env\":{Literal(Any() + "\u0001")}}}",
                2 => "{\"env\":5}",
                3 => "{" + string.Join(',', Enumerable.Range(0, 40).Select(i => $"\"k{i}\":\"v\"")) + "}",
                _ => BadJson(random),
            }, json),
            7 => new("POST", $"/api/sites/{Site}/hosts/{Host}/emulators/{Index()}/{(random.Next(2) == 0 ? "launch" : "quit")}", null, null),
            8 => new("POST", $"/api/sites/{Seg()}/hosts/{Seg()}/emulators/{Seg()}/launch", null, null) { IdempotencyKey = new string('k', 256 + random.Next(100)) },
            9 => new("GET", "/api/emulators?" + random.Next(6) switch
            {
                0 => "state=" + Uri.EscapeDataString(Any()),
                1 => "pageSize=" + Uri.EscapeDataString(Any()),
                2 => "continuationToken=" + Uri.EscapeDataString(Any()),
                3 => "label=" + Uri.EscapeDataString(random.Next(2) == 0 ? "=" + Any() : Any().ToUpperInvariant() + "=v"),
                4 => "siteId=" + Seg(),
                _ => "name=" + Uri.EscapeDataString(new string('*', 200)),
            }, null, null),
            10 => new("GET", $"/api/sites/{Seg()}", null, null),
            11 => new(random.Next(2) == 0 ? "DELETE" : "POST", random.Next(2) == 0 ? $"/api/sites/{Seg()}" : $"/api/sites/{Seg()}/relay-credentials", null, null),
            12 => new("POST", "/api/apps?name=" + Seg(), random.Next(2) == 0 ? "not a zip" : "PK\u0003\u0004", random.Next(2) == 0 ? "application/octet-stream" : "text/plain"),
            13 => new("GET", random.Next(3) switch
            {
                0 => "/api/apps/" + Seg(),
                1 => "/api/operations/" + Seg(),
                _ => "/api/audit?day=" + Seg(),
            }, null, null),
            14 => new("POST", "/api/sites", "{\"id\":\"" + new string('a', 2 * 1024 * 1024) + "\"}", json),
            _ => new(random.Next(2) == 0 ? "PATCH" : "PUT", random.Next(2) == 0 ? "/api/sites" : "/api/../../etc/passwd", "{}", json),
        };
    }

    private static string BadJson(Random random) => random.Next(9) switch
    {
        0 => "{",
        1 => "{\"id\":",
        2 => "[]",
        3 => "null",
        4 => "\"just a string\"",
        5 => "{\"id\":\"a\",\"id\":\"b\"}",
        6 => new string('[', 2000) + new string(']', 2000),
        7 => "{'id':'single-quoted'}",
        _ => "\u00ff\u00fe garbage",
    };

    private static string Literal(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300];

    /// <summary>Every row (keys and ETag) of the state tables, every queue with its message count, every blob.</summary>
    /// <summary>
    /// The Durable Task backend's own queues and lease blobs (task hub "ldfleet") change with time, not with requests:
    /// polling, lease renewals. Its instances and history live in tables of their own, which are not compared either.
    /// </summary>
    private static bool IsTaskHubs(string name) =>
        name.StartsWith("ldfleet-control-", StringComparison.Ordinal) || name is "ldfleet-workitems" or "ldfleet-leases" or "ldfleet-applease" or "ldfleet-largemessages";

    private async Task<string> SnapshotAsync()
    {
        var lines = new List<string>();
        var tables = new TableServiceClient(_azurite.ConnectionString);
        foreach (var table in FleetTables.All.Except([FleetTables.Audit, FleetTables.Idempotency]))
        {
            await foreach (var row in tables.GetTableClient(table).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
            {
                lines.Add($"{table}|{row.PartitionKey}|{row.RowKey}|{row.ETag}");
            }
        }

        var queues = new QueueServiceClient(_azurite.ConnectionString);
        await foreach (var queue in queues.GetQueuesAsync())
        {
            if (IsTaskHubs(queue.Name))
            {
                continue;
            }

            var properties = await queues.GetQueueClient(queue.Name).GetPropertiesAsync();
            lines.Add($"queue|{queue.Name}|{properties.Value.ApproximateMessagesCount}");
        }

        await foreach (var container in new BlobServiceClient(_azurite.ConnectionString).GetBlobContainersAsync())
        {
            if (IsTaskHubs(container.Name))
            {
                continue;
            }

            await foreach (var blob in new BlobServiceClient(_azurite.ConnectionString).GetBlobContainerClient(container.Name).GetBlobsAsync())
            {
                lines.Add($"blob|{container.Name}|{blob.Name}|{blob.Properties.ETag}");
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    private sealed record FuzzCase(string Method, string Path, string? Body, string? ContentType)
    {
        public string? IdempotencyKey { get; init; }

        public HttpRequestMessage Build()
        {
            var request = new HttpRequestMessage(new HttpMethod(Method), new Uri(Path, UriKind.Relative));
            if (Body is not null)
            {
                request.Content = new StringContent(Body, Encoding.UTF8);
                request.Content.Headers.ContentType = ContentType is null ? null : new MediaTypeHeaderValue(ContentType);

                // As real clients of large uploads do: the server can refuse before the body is on the wire,
                // instead of closing the connection under a client still sending.
                request.Headers.ExpectContinue = Body.Length > 64 * 1024;
            }

            if (IdempotencyKey is not null)
            {
                request.Headers.TryAddWithoutValidation("Idempotency-Key", IdempotencyKey);
            }

            return request;
        }

        public override string ToString() => $"{Method} {Truncate(Path)} [{ContentType}] {Truncate(Body ?? "")}";
    }
}
