using System.Text.RegularExpressions;
using Serilog.Core;
using Serilog.Events;

namespace LdFleet.Protocol.Telemetry;

/// <summary>
/// A last line of defence for credentials in log properties: account keys, SAS signatures and shared access keys
/// inside a string value (a connection string or SAS URL passed to a log call by mistake) are replaced by <c>***</c>.
/// Code must still not log secrets; this catches the slip, as a runner's secret masker does.
/// </summary>
internal sealed partial class SecretMasker : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        foreach (var (name, value) in logEvent.Properties.ToArray())
        {
            if (value is ScalarValue { Value: string text } && Mask(text) is { } masked)
            {
                logEvent.AddOrUpdateProperty(new LogEventProperty(name, new ScalarValue(masked)));
            }
        }
    }

    /// <summary>The text with its secrets masked, or null when it holds none.</summary>
    internal static string? Mask(string text)
    {
        var masked = Secrets().Replace(text, m => m.Groups["key"].Value + "=***");
        return ReferenceEquals(masked, text) || masked == text ? null : masked;
    }

    [GeneratedRegex(@"(?<key>AccountKey|SharedAccessKey|SharedAccessSignature|sig|InstrumentationKey|password)=(?<value>[^;&\s""]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Secrets();
}
