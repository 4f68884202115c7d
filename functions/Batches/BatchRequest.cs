using System.Text.Json;
using System.Text.Json.Serialization;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Functions.Inventory;
using LdFleet.Protocol.Sites;

namespace LdFleet.Functions.Batches;

/// <summary>One explicitly named target.</summary>
internal sealed record BatchTarget(string SiteId, string HostId, int Index);

/// <summary>Which emulators a batch acts on: the inventory filtered by site, host, label, name and state, or an explicit list.</summary>
internal sealed record TargetSelector
{
    public IReadOnlyList<string>? SiteIds { get; init; }

    public IReadOnlyList<string>? HostIds { get; init; }

    /// <summary>Label filters <c>key=value</c>; every one must match.</summary>
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

/// <summary>Expands a selector against the emulator inventory (partitioned by site: one query per site and host).</summary>
internal sealed class TargetResolver
{
    public const int MaxTargets = 10_000;

    private readonly InventoryStore _inventory;

    public TargetResolver(InventoryStore inventory) => _inventory = inventory;

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

        if (NamePattern.Parse(selector.NamePattern, out var nameError) is null && nameError is not null)
        {
            errors["selector.namePattern"] = [nameError];
        }

        if (selector.States?.FirstOrDefault(s => s is not ("stopped" or "starting" or "running")) is { } badState)
        {
            errors["selector.states"] = [$"Unknown state '{badState}': use stopped, starting or running."];
        }

        // The rules of emulator labels themselves, so a filter can only name labels that can exist.
        if (selector.Labels is { } labels)
        {
            for (var i = 0; i < labels.Count; i++)
            {
                string? labelError = "A label filter is key=value.";
                if (labels[i] is null || Inventory.Labels.ParseSelector(labels[i], out labelError) is null)
                {
                    errors[$"selector.labels[{i}]"] = [labelError ?? "A label filter is key=value."];
                    break;
                }
            }
        }

        return errors;
    }

    private static (string Key, string Value)? ParseLabel(string? label) =>
        label is null ? null : Inventory.Labels.ParseSelector(label, out _);

    public async Task<IReadOnlyList<BatchItem>> ResolveAsync(TargetSelector selector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selector);
        if (selector.Targets is { Count: > 0 } targets)
        {
            return [.. targets.Distinct().Select((t, i) => new BatchItem { Seq = i, SiteId = t.SiteId, HostId = t.HostId, Index = t.Index, Status = BatchItemStatus.Pending })];
        }

        var labels = (selector.Labels ?? []).Select(l => ParseLabel(l)!.Value).ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
        var name = NamePattern.Parse(selector.NamePattern, out _);
        var hosts = selector.HostIds is { Count: > 0 } h ? h.Distinct(StringComparer.Ordinal).Cast<string?>().ToList() : [null];
        var states = selector.States is { Count: > 0 } st ? st.Distinct(StringComparer.Ordinal).Cast<string?>().ToList() : [null];
        var items = new List<BatchItem>();
        foreach (var site in selector.SiteIds!.Distinct(StringComparer.Ordinal))
        {
            foreach (var host in hosts)
            {
                foreach (var state in states)
                {
                    var query = new EmulatorQuery { SiteId = site, HostId = host, State = state, Labels = labels, Name = name };
                    foreach (var e in await _inventory.QueryAsync(query, cancellationToken))
                    {
                        items.Add(new BatchItem { Seq = items.Count, SiteId = e.SiteId, HostId = e.HostId, Index = e.Index, Title = e.Title, Status = BatchItemStatus.Pending });
                        if (items.Count > MaxTargets)
                        {
                            return items;
                        }
                    }
                }
            }
        }

        return items;
    }
}
