using System.Collections;
using System.Collections.Specialized;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// The relay installer's contract with the API and the relay: it takes the API's relay credentials (and, on Service Bus,
/// the site's rule), refuses another site's, and writes only settings the relay binds. Its functions run here in
/// PowerShell's own engine; the rest of the script needs Windows.
/// </summary>
public sealed partial class RelayInstallScriptTests
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "scripts", "relay", "Install-LdFleetRelay.ps1");

    private const string StorageAnswer = """
        {"site":{"id":"lab","displayName":"Lab","createdAt":"2026-01-01T00:00:00+00:00","createdBy":"alice","status":"pending","relay":null,"credentialsExpireAt":"2099-01-01T00:00:00+00:00"},
         "relayCredentials":{"transport":"storage-queues","expiresAt":"2099-01-01T00:00:00+00:00",
          "queues":{
           "commands":{"queue":"ldfleet-site-lab","permissions":"rup","url":"https://acct.queue.core.windows.net/ldfleet-site-lab?sv=2025-01-05&si=relay-1&sig=c%2Bmd%3D"},
           "commandsPoison":{"queue":"ldfleet-site-lab-poison","permissions":"a","url":"https://acct.queue.core.windows.net/ldfleet-site-lab-poison?sv=2025-01-05&si=relay-1&sig=p%2Bsn%3D"},
           "results":{"queue":"ldfleet-results","permissions":"a","url":"https://acct.queue.core.windows.net/ldfleet-results?sv=2025-01-05&se=2099-01-01T00%3A00%3A00Z&sp=a&sig=r%2Bes%3D"}},
          "enforcedByBroker":["Each URL works on its own queue only."],"notEnforcedByBroker":["The results queue is shared."],"instructions":null}}
        """;

    private const string ServiceBusCredentials = """
        {"transport":"service-bus","expiresAt":"2099-01-01T00:00:00+00:00",
         "queues":{"results":{"queue":"ldfleet-results","permissions":"a","url":"http://127.0.0.1:10001/devstoreaccount1/ldfleet-results?sv=2025-01-05&sp=a&sig=r%2Bes%3D"}},
         "enforcedByBroker":[],"notEnforcedByBroker":[],"instructions":"Give the relay the connection string of the SAS rule 'relay-lab'."}
        """;

    private const string LabRule = "Endpoint=sb://fleet.servicebus.windows.net/;SharedAccessKeyName=relay-lab;SharedAccessKey=c2VjcmV0;EntityPath=ldfleet-site-lab";

    [Fact]
    public void Samples_HaveTheShapeTheApiAnswersWith()
    {
        // The samples above stand for the API's answer; this keeps them to what RelayCredentialsIssuer returns.
        var issuer = File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "Sites", "RelayCredentialsIssuer.cs"));
        var endpoints = File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "Sites", "SitesEndpoints.cs"));

        Assert.Contains("record RelayCredentials(\n    string Transport,\n    DateTimeOffset? ExpiresAt,\n    IReadOnlyDictionary<string, QueueCredential>? Queues,", issuer, StringComparison.Ordinal);
        Assert.Contains("record QueueCredential(string Queue, string Permissions, Uri Url)", issuer, StringComparison.Ordinal);
        foreach (var text in (string[])["[\"commands\"]", "[\"commandsPoison\"]", "[\"results\"]", "\"storage-queues\"", "\"service-bus\""])
        {
            Assert.Contains(text, issuer, StringComparison.Ordinal);
        }

        Assert.Contains("record SiteRegistrationView(SiteView Site, RelayCredentials RelayCredentials)", endpoints, StringComparison.Ordinal);
        Assert.Contains("record SiteView(string Id,", endpoints, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_TheWholeRegistrationAnswer_GiveEveryQueueAsIssued()
    {
        var issued = QueueCredentials(StorageAnswer, "lab");

        Assert.Equal("storage-queues", issued.Transport);
        Assert.Equal(["commands", "commandsPoison", "results"], issued.Queues.Keys);
        var relayCredentials = JsonNode.Parse(StorageAnswer)!["relayCredentials"]!["queues"]!;
        foreach (var role in issued.Queues.Keys)
        {
            // Byte for byte: a re-encoded query would no longer match its signature.
            Assert.Equal(relayCredentials[role]!["url"]!.GetValue<string>(), issued.Queues[role]["Url"]);
            Assert.Equal(relayCredentials[role]!["queue"]!.GetValue<string>(), issued.Queues[role]["Queue"]);
        }
    }

    [Fact]
    public void Credentials_TheRelayCredentialsObjectAlone_AreAcceptedToo()
    {
        var storage = QueueCredentials(JsonNode.Parse(StorageAnswer)!["relayCredentials"]!.ToJsonString(), "lab");
        var serviceBus = QueueCredentials(ServiceBusCredentials, "lab");

        Assert.Equal(["commands", "commandsPoison", "results"], storage.Queues.Keys);
        Assert.Equal("service-bus", serviceBus.Transport);
        Assert.Equal(["results"], serviceBus.Queues.Keys);
    }

    [Theory]
    [InlineData("whole answer", "issued when site 'lab' was registered, not site 'lab2'")]
    [InlineData("object", "is for queue 'ldfleet-site-lab', but site lab2 uses 'ldfleet-site-lab2'")]
    public void Credentials_ForAnotherSite_AreRefused(string form, string message)
    {
        var json = form == "object" ? JsonNode.Parse(StorageAnswer)!["relayCredentials"]!.ToJsonString() : StorageAnswer;

        var error = Assert.ThrowsAny<RuntimeException>(() => QueueCredentials(json, "lab2"));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"transport":"storage-queues"}""", "with a 'queues' object")]
    [InlineData("""{"id":"lab"}""", "with a 'queues' object")]
    [InlineData("""{"transport":"service-bus","queues":null,"instructions":"Give the relay's identity 'Storage Queue Data Message Sender'."}""", "issued no queue credentials for site lab: Give the relay's identity")]
    [InlineData("""{"transport":"storage-queues","queues":{"results":{"queue":"ldfleet-results","url":"https://a.queue.core.windows.net/ldfleet-results?sig=x"}}}""", "missing: commands, commandsPoison")]
    [InlineData("""{"transport":"service-bus","queues":{"results":{"queue":"ldfleet-results","url":"https://a.queue.core.windows.net/ldfleet-results?sv=1"}}}""", "queues.results.url is not a queue URL with a SAS")]
    [InlineData("""{"transport":"service-bus","queues":{"results":{"queue":"ldfleet-results","url":"https://a.queue.core.windows.net/ldfleet-site-lab?sig=x"}}}""", "is not the URL of queue 'ldfleet-results'")]
    [InlineData("""{"transport":"service-bus","queues":{"results":{"queue":"ldfleet-results","url":"https://a.queue.core.windows.net/ldfleet-results?sig=x"}},"expiresAt":"2020-01-01T00:00:00+00:00"}""", "expired on 2020-01-01 00:00:00Z")]
    [InlineData("""{"transport":"rabbit","queues":{}}""", "transport 'rabbit'")]
    public void Credentials_ThatTheRelayCouldNotRunOn_AreRefusedWithTheReason(string json, string message)
    {
        var error = Assert.ThrowsAny<RuntimeException>(() => QueueCredentials(json, "lab"));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LabRule, null)]
    [InlineData("endpoint=sb://fleet.servicebus.windows.net/; sharedaccesskeyname=relay-lab; sharedaccesskey=c2VjcmV0", null)]
    [InlineData("Endpoint=sb://fleet.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0", "not the site's rule relay-lab")]
    [InlineData("Endpoint=sb://fleet.servicebus.windows.net/;SharedAccessKeyName=relay-lab2;SharedAccessKey=c2VjcmV0;EntityPath=ldfleet-site-lab2", "not the site's rule relay-lab")]
    [InlineData("Endpoint=sb://fleet.servicebus.windows.net/;SharedAccessKeyName=relay-lab;SharedAccessKey=c2VjcmV0;EntityPath=ldfleet-site-lab2", "not the site's command queue ldfleet-site-lab")]
    [InlineData("Endpoint=sb://fleet.servicebus.windows.net/;SharedAccessKeyName=relay-lab", "no SharedAccessKey")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0", "no Endpoint=sb://")]
    [InlineData("Endpoint=https://fleet.servicebus.windows.net/;SharedAccessKeyName=relay-lab;SharedAccessKey=c2VjcmV0", "no Endpoint=sb://")]
    public void ServiceBusConnectionString_MustBeTheSitesListenRule(string connectionString, string? problem)
    {
        var result = Run("Test-ServiceBusConnectionString", new() { ["ConnectionString"] = connectionString, ["SiteId"] = "lab" });

        var text = result.SingleOrDefault()?.BaseObject as string;
        if (problem is null)
        {
            Assert.Null(text);
        }
        else
        {
            Assert.Contains(problem, text, StringComparison.Ordinal);
            Assert.DoesNotContain("c2VjcmV0", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Settings_AreExactlyKeysTheRelayBinds(bool serviceBus)
    {
        var issued = QueueCredentials(serviceBus ? ServiceBusCredentials : StorageAnswer, "lab");
        // The local host as the script builds it, and a host shaped like the -AdditionalHosts example of its help.
        object[] hosts =
        [
            new OrderedDictionary { ["Id"] = "pc-01", ["LdConsolePath"] = @"C:\LDPlayer\LDPlayer9\ldconsole.exe" },
            new Hashtable
            {
                ["Id"] = "pc-07", ["Kind"] = "Ssh", ["LdConsolePath"] = @"C:\LDPlayer\LDPlayer9\ldconsole.exe",
                ["Ssh"] = new Hashtable { ["Address"] = "192.168.1.57", ["UserName"] = "ldplayer", ["PrivateKeyPath"] = @"C:\ProgramData\LdFleet\Relay\relay_ed25519", ["HostKeyFingerprint"] = "SHA256:x" },
            },
        ];

        var settings = Run("New-RelaySettings", new()
        {
            ["SiteId"] = "lab",
            ["JournalPath"] = @"C:\ProgramData\LdFleet\Relay\relay-lab.db",
            ["Hosts"] = hosts,
            ["Queues"] = issued.Dictionary,
            ["ServiceBusConnectionString"] = serviceBus ? LabRule : null,
        }).Single();
        var keys = Flatten(settings, "").ToDictionary(k => k.Key, k => k.Value, StringComparer.OrdinalIgnoreCase);

        var options = OptionClasses();
        Assert.All(keys.Keys, key => Assert.True(IsBound(key, options, out var why), $"{key}: {why}"));
        Assert.Equal("lab", keys["Relay:SiteId"]);
        var role = serviceBus ? "results" : "commands";
        Assert.Equal(issued.Queues[role]["Url"], keys[$"Relay:Credentials:Queues:{role}:Url"]);
        if (serviceBus)
        {
            Assert.Equal(LabRule, keys["Transport:ConnectionString"]);
        }
        else
        {
            // Storage Queues: the issued URLs reach every queue; any Transport:* would give the relay another way in.
            Assert.DoesNotContain(keys.Keys, k => k.StartsWith("Transport:", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void Installer_AsksForTheRelayCredentials_NotForConnectionStringsTheRelayNoLongerReads()
    {
        var script = Parser.ParseFile(Script, out _, out _);
        var parameters = script.ParamBlock.Parameters.Select(p => p.Name.VariablePath.UserPath).ToList();
        var text = File.ReadAllText(Script);

        Assert.Contains("RelayCredentialsFile", parameters);
        Assert.Contains("RelayCredentials", parameters);
        Assert.Contains("ServiceBusConnectionString", parameters);
        Assert.DoesNotContain("TransportConnectionString", parameters);
        Assert.DoesNotContain("ResultsConnectionString", parameters);
        Assert.DoesNotContain("ResultsConnectionString", text, StringComparison.OrdinalIgnoreCase);

        // Every parameter is documented, and no help names a parameter that is gone.
        var help = text[..text.IndexOf("#>", StringComparison.Ordinal)];
        var documented = HelpParameter().Matches(help).Select(m => m.Groups[1].Value);
        Assert.Equal(parameters.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
        var examples = help.Split(".EXAMPLE").Skip(1).ToList();
        Assert.Contains(examples, e => e.Contains("-RelayCredentialsFile", StringComparison.Ordinal) && !e.Contains("-ServiceBusConnectionString", StringComparison.Ordinal));
        Assert.Contains(examples, e => e.Contains("-ServiceBusConnectionString", StringComparison.Ordinal));
    }

    private sealed record Issued(string Transport, IDictionary Dictionary)
    {
        public Dictionary<string, IDictionary> Queues => Dictionary.Keys.Cast<string>().ToDictionary(k => k, k => (IDictionary)Dictionary[k]!, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Get-RelayQueueCredentials on what ConvertFrom-Json makes of <paramref name="json"/>.</summary>
    private static Issued QueueCredentials(string json, string siteId)
    {
        var result = Run("Get-RelayQueueCredentials", new() { ["Answer"] = ToPowerShell(JsonNode.Parse(json)), ["SiteId"] = siteId }).Single();
        return new Issued((string)result.Properties["Transport"].Value, (IDictionary)result.Properties["Queues"].Value);
    }

    /// <summary>Runs one of the installer's functions, with the script's strict mode and error preference.</summary>
    private static List<PSObject> Run(string function, Dictionary<string, object?> parameters)
    {
        var script = Parser.ParseFile(Script, out _, out var errors);
        Assert.Empty(errors);
        var definitions = script.FindAll(a => a is FunctionDefinitionAst, searchNestedScriptBlocks: false).Select(a => a.Extent.Text);

        using var powerShell = PowerShell.Create(InitialSessionState.CreateDefault2());
        powerShell.AddScript("Set-StrictMode -Version 3.0\n$ErrorActionPreference = 'Stop'\n" + string.Join('\n', definitions)).Invoke();
        powerShell.Commands.Clear();
        powerShell.AddCommand(function);
        foreach (var (name, value) in parameters)
        {
            powerShell.AddParameter(name, value);
        }

        return [.. powerShell.Invoke()];
    }

    /// <summary>JSON as Windows PowerShell's ConvertFrom-Json gives it: objects as PSCustomObject, dates left as strings.</summary>
    private static object? ToPowerShell(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject o:
                var result = new PSObject();
                foreach (var (name, value) in o)
                {
                    result.Properties.Add(new PSNoteProperty(name, ToPowerShell(value)));
                }

                return result;
            case JsonArray a:
                return a.Select(ToPowerShell).ToArray();
            default:
                var v = node.AsValue();
                return v.GetValueKind() switch
                {
                    JsonValueKind.String => v.GetValue<string>(),
                    JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
                    _ => v.GetValue<double>(),
                };
        }
    }

    /// <summary>A settings object as configuration keys (Relay:Hosts:0:Id), as the relay's configuration reads the JSON.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> Flatten(object? value, string prefix)
    {
        value = value is PSObject ps ? ps.BaseObject : value;
        switch (value)
        {
            case IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary)
                {
                    foreach (var pair in Flatten(entry.Value, Join(prefix, entry.Key.ToString()!)))
                    {
                        yield return pair;
                    }
                }

                break;
            case IEnumerable items and not string:
                var index = 0;
                foreach (var item in items)
                {
                    foreach (var pair in Flatten(item, Join(prefix, (index++).ToString(System.Globalization.CultureInfo.InvariantCulture))))
                    {
                        yield return pair;
                    }
                }

                break;
            default:
                yield return new(prefix, value?.ToString());
                break;
        }

        static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + ":" + key;
    }

    /// <summary>
    /// Walks a configuration key through the options classes as the binder does: a section's class (SectionName), then
    /// property by property; a list takes an index, a dictionary any key.
    /// </summary>
    private static bool IsBound(string key, OptionsSource options, out string why)
    {
        var segments = key.Split(':');
        if (!options.Sections.TryGetValue(segments[0], out var type))
        {
            why = $"no options class has SectionName = \"{segments[0]}\"";
            return false;
        }

        foreach (var segment in segments.Skip(1))
        {
            if (ElementType(type, "List", out var element) || type.EndsWith("[]", StringComparison.Ordinal))
            {
                if (!int.TryParse(segment, out _))
                {
                    why = $"'{segment}' indexes a list";
                    return false;
                }

                type = element ?? type[..^2];
                continue;
            }

            if (ElementType(type, "Dictionary", out var valueType))
            {
                type = valueType!;
                continue;
            }

            if (!options.Classes.TryGetValue(type, out var properties) || !properties.TryGetValue(segment, out var propertyType))
            {
                why = $"{type} has no property {segment}";
                return false;
            }

            type = propertyType;
        }

        why = "";
        var leaf = !options.Classes.ContainsKey(type) && !ElementType(type, "List", out _) && !ElementType(type, "Dictionary", out _);
        if (!leaf)
        {
            why = $"{type} is an object, not a value";
        }

        return leaf;
    }

    /// <summary>For List&lt;T&gt; the T, for Dictionary&lt;K, V&gt; the V.</summary>
    private static bool ElementType(string type, string generic, out string? element)
    {
        element = null;
        if (!type.StartsWith(generic + "<", StringComparison.Ordinal))
        {
            return false;
        }

        var arguments = type[(generic.Length + 1)..^1];
        element = Normalize(arguments[(arguments.LastIndexOf(',') + 1)..]);
        return true;
    }

    private sealed record OptionsSource(Dictionary<string, string> Sections, Dictionary<string, Dictionary<string, string>> Classes);

    /// <summary>The settable properties of every class of the relay and the protocol library, from their sources.</summary>
    private static OptionsSource OptionClasses()
    {
        var sections = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var classes = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var files = new[] { "relay-agent", "protocol" }
            .SelectMany(dir => Directory.GetFiles(Path.Combine(RepoPaths.Root, dir), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (var text in files.Select(File.ReadAllText))
        {
            var declarations = ClassDeclaration().Matches(text);
            for (var i = 0; i < declarations.Count; i++)
            {
                var start = declarations[i].Index;
                var body = text[start..(i + 1 < declarations.Count ? declarations[i + 1].Index : text.Length)];
                var name = declarations[i].Groups[1].Value;
                var properties = classes.TryGetValue(name, out var known) ? known : classes[name] = new(StringComparer.OrdinalIgnoreCase);
                foreach (Match property in SettableProperty().Matches(body))
                {
                    properties[property.Groups[2].Value] = Normalize(property.Groups[1].Value);
                }

                if (SectionName().Match(body) is { Success: true } section)
                {
                    sections[section.Groups[1].Value] = name;
                }
            }
        }

        Assert.True(sections.ContainsKey("Relay") && sections.ContainsKey("Transport"), "RelayOptions and TransportOptions not found");
        return new(sections, classes);
    }

    /// <summary>A type as the walk compares it: no nullability, no namespace (LdPlayer.CircuitOptions is CircuitOptions).</summary>
    private static string Normalize(string type)
    {
        type = type.Trim().TrimEnd('?');
        var generic = type.IndexOf('<', StringComparison.Ordinal);
        var head = generic < 0 ? type : type[..generic];
        head = head[(head.LastIndexOf('.') + 1)..];
        return generic < 0 ? head : head + type[generic..].Replace(" ", "", StringComparison.Ordinal).Replace(",", ", ", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\s*(?:(?:public|internal|private|protected|sealed|static|abstract|partial|file)\s+)*(?:class|record)\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex ClassDeclaration();

    [GeneratedRegex(@"public\s+([\w.?<>, \[\]]+?)\s+(\w+)\s*\{\s*get;\s*set;\s*\}")]
    private static partial Regex SettableProperty();

    [GeneratedRegex(@"^\.PARAMETER (\w+)$", RegexOptions.Multiline)]
    private static partial Regex HelpParameter();

    [GeneratedRegex(@"const string SectionName = ""(\w+)""")]
    private static partial Regex SectionName();
}
