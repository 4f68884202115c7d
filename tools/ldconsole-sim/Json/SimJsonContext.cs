using System.Text.Json.Serialization;
using LdFleet.LdConsoleSim.Faults;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Json;

/// <summary>
/// Source-generated serializer for the <c>sim:state</c> view: no reflection, so the tool stays
/// trimming/NativeAOT compatible. Files touched on every call are mapped by hand instead (startup).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(StateView))]
internal sealed partial class SimJsonContext : JsonSerializerContext;
