using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Sites;

namespace LdFleet.Functions.Batches;

/// <summary>One explicitly named target.</summary>
internal sealed record BatchTarget(string SiteId, string HostId, int Index);

/// <summary>Which emulators a batch acts on: the inventory filtered by site, host, label, name and state, or an explicit list.</summary>
internal sealed record TargetSelector
{
    public IReadOnlyList<string>? SiteIds { get; init; }

    public IReadOnlyList<string>? HostIds { get; init; }

    /// <summary>Every label listed must be on the emulator.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Title pattern with <c>*</c> and <c>?</c> wildcards, case-insensitive.</summary>
    public string? NamePattern { get; init; }

    /// <summary>Inventory states to include (<c>stopped</c>, <c>starting</c>, <c>running</c>).</summary>
    public IReadOnlyList<string>? States { get; init; }

    public IReadOnlyList<BatchTarget>? Targets { get; init; }
}

/// <summary>A request to run one workflow over many emulators.</summary>
internal sealed record BatchRequest
{
    public required string Workflow { get; init; }

    public IReadOnlyDictionary<string, string>? Parameters { get; init; }

    public required TargetSelector Selector { get; init; }

    /// <summary>For a <c>sequence</c> batch: the commands each child runs in order.</summary>
    public IReadOnlyList<LdFleet.Functions.Operations.SequenceStep>? Steps { get; init; }

    /// <summary>A count or a percentage of the targets, e.g. <c>100</c> or <c>"10%"</c>. Default: 50.</summary>
    [JsonConverter(typeof(NumberOrStringConverter))]
    public string? MaxConcurrency { get; init; }

    [JsonConverter(typeof(NumberOrStringConverter))]
    public string? MaxConcurrencyPerHost { get; init; }

    /// <summary>Failures tolerated before no new children start; count or percentage. Default: unlimited.</summary>
    [JsonConverter(typeof(NumberOrStringConverter))]
    public string? MaxErrors { get; init; }
}

/// <summary>Accepts <c>25</c> as well as <c>"25"</c> or <c>"10%"</c>.</summary>
internal sealed class NumberOrStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Number => reader.TryGetInt64(out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : throw new JsonException("Expected a whole number."),
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw new JsonException("Expected a number or a string such as \"10%\"."),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>Expands a selector against the emulator inventory (partitioned by site: one query per site).</summary>
internal sealed class TargetResolver
{
    public const int MaxTargets = 10_000;

    private readonly TableClient _emulators;

    public TargetResolver(TableServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _emulators = service.GetTableClient(FleetTables.Emulators);
    }

    public static Dictionary<string, string[]> Validate(TargetSelector? selector)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (selector is null)
        {
            errors["selector"] = ["A selector is required: siteIds (with optional hostIds, labels, namePattern, states) or targets."];
            return errors;
        }

        if (selector.Targets is { Count: > 0 } targets)
        {
            if (targets.Count > MaxTargets)
            {
                errors["selector.targets"] = [$"At most {MaxTargets} targets."];
            }

            for (var i = 0; i < targets.Count && errors.Count < 20; i++)
            {
                var t = targets[i];
                if (t is null || FleetIds.ValidateSiteId(t.SiteId) is not null || FleetIds.ValidateHostId(t.HostId) is not null || t.Index is < 0 or > OperationRequestValidator.MaxIndex)
                {
                    errors[$"selector.targets[{i}]"] = ["Each target needs a valid siteId, hostId and index (0-99999)."];
                }
            }

            return errors;
        }

        if (selector.SiteIds is not { Count: > 0 })
        {
            errors["selector.siteIds"] = ["Name at least one site (or give explicit targets)."];
        }
        else if (selector.SiteIds.FirstOrDefault(s => FleetIds.ValidateSiteId(s) is not null) is { } badSite)
        {
            errors["selector.siteIds"] = [FleetIds.ValidateSiteId(badSite)!];
        }

        if (selector.HostIds?.FirstOrDefault(h => FleetIds.ValidateHostId(h) is not null) is { } badHost)
        {
            errors["selector.hostIds"] = [FleetIds.ValidateHostId(badHost)!];
        }

        if (selector.NamePattern is { Length: > 256 })
        {
            errors["selector.namePattern"] = ["At most 256 characters."];
        }

        if (selector.States?.FirstOrDefault(s => s is not ("stopped" or "starting" or "running")) is { } badState)
        {
            errors["selector.states"] = [$"Unknown state '{badState}': use stopped, starting or running."];
        }

        if (selector.Labels?.FirstOrDefault(l => string.IsNullOrWhiteSpace(l) || l.Length > 64) is not null)
        {
            errors["selector.labels"] = ["Labels are 1-64 characters."];
        }

        return errors;
    }

    public async Task<IReadOnlyList<BatchItem>> ResolveAsync(TargetSelector selector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selector);
        if (selector.Targets is { Count: > 0 } targets)
        {
            return [.. targets.Distinct().Select((t, i) => new BatchItem { Seq = i, SiteId = t.SiteId, HostId = t.HostId, Index = t.Index, Status = BatchItemStatus.Pending })];
        }

        var name = selector.NamePattern is { Length: > 0 } pattern
            ? new Regex("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50))
            : null;
        var items = new List<BatchItem>();
        foreach (var site in selector.SiteIds!.Distinct(StringComparer.Ordinal))
        {
            await foreach (var e in _emulators.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {site}"), cancellationToken: cancellationToken))
            {
                // Host marker rows carry no emulator.
                if (e.GetInt32("Index") is not { } index || e.GetString("HostId") is not { } host)
                {
                    continue;
                }

                var title = e.GetString("Title") ?? "";
                var labels = (e.GetString("Labels") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if ((selector.HostIds is { Count: > 0 } hosts && !hosts.Contains(host, StringComparer.Ordinal))
                    || (selector.States is { Count: > 0 } states && !states.Contains(e.GetString("State") ?? "", StringComparer.Ordinal))
                    || (selector.Labels is { Count: > 0 } wanted && !wanted.All(l => labels.Contains(l, StringComparer.Ordinal)))
                    || (name is not null && !name.IsMatch(title)))
                {
                    continue;
                }

                items.Add(new BatchItem { Seq = items.Count, SiteId = site, HostId = host, Index = index, Title = title, Status = BatchItemStatus.Pending });
                if (items.Count > MaxTargets)
                {
                    return items;
                }
            }
        }

        return items;
    }
}
