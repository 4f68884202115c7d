namespace LdFleet.Protocol.Commands;

/// <summary>
/// The <see cref="CommandResult.Data"/> keys of a <see cref="EmulatorActions.TestConnection"/> result. Flat string
/// keys (Data is a string map): <c>stage.{stage}.{fact}</c>, stages in the order they run. A stage after a failed one
/// does not run and has no keys. Times are whole milliseconds, counts decimal, flags <c>true</c>/<c>false</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term><c>stages</c></term><description>The stages that ran, comma-separated: <c>reach,ldconsole,list2</c>.</description></item>
/// <item><term><c>failedStage</c></term><description>The first stage that failed; absent when all passed.</description></item>
/// <item><term><c>totalMs</c></term><description>Time of the whole test.</description></item>
/// <item><term><c>circuit.before</c>, <c>circuit.after</c></term><description>The host's circuit state (closed, open, half-open) before and after: a passed test closes it.</description></item>
/// <item><term><c>stage.{stage}.ok</c>, <c>.ms</c>, <c>.error</c></term><description>Every stage that ran: passed or not, how long it took, and why it failed.</description></item>
/// <item><term><c>stage.reach.detail</c></term><description><c>local</c>, or <c>ssh user@address:port</c>.</description></item>
/// <item><term><c>stage.ldconsole.path</c>, <c>.banner</c>, <c>.version</c>, <c>.encoding</c></term><description>Where ldconsole is, the first line of the usage banner it prints without arguments, the LDPlayer version when the banner carries one (LDPlayer 14 does, 3 to 9 do not), and how the relay decodes its output (e.g. <c>Auto, code page 936</c>).</description></item>
/// <item><term><c>stage.list2.emulators</c>, <c>.running</c>, <c>.columns</c>, <c>.encoding</c></term><description>Emulators listed, how many of them are started, list2's column count (7 or 10), and the encoding its bytes were in (<c>ascii</c>, <c>utf-8</c> or <c>cp936</c>).</description></item>
/// </list>
/// </remarks>
public static class ConnectionTestData
{
    public const string Stages = "stages";
    public const string FailedStage = "failedStage";
    public const string TotalMs = "totalMs";
    public const string CircuitBefore = "circuit.before";
    public const string CircuitAfter = "circuit.after";

    /// <summary>SSH: connect and authenticate (or the connection already open); local: the relay's own machine.</summary>
    public const string Reach = "reach";

    /// <summary>ldconsole started without arguments prints its usage banner.</summary>
    public const string LdConsole = "ldconsole";

    /// <summary>list2 answers and parses.</summary>
    public const string List2 = "list2";

    /// <summary>The key of <paramref name="fact"/> of <paramref name="stage"/>, e.g. <c>stage.list2.ms</c>.</summary>
    public static string Key(string stage, string fact) => $"stage.{stage}.{fact}";
}
