namespace LdFleet.Relay.LdPlayer.Catalog;

/// <summary>
/// Which emulator a command addresses. Index is preferred: titles can repeat and non-ASCII titles pass
/// through the ANSI code page (reference §4.1, §3.5).
/// </summary>
internal abstract record EmulatorSelector
{
    public static EmulatorSelector ByIndex(int index)
    {
        if (index < 0)
        {
            throw new LdArgumentException("index", "must be zero or more.");
        }

        return new IndexSelector(index);
    }

    public static EmulatorSelector ByName(string title) => new NameSelector(LdArguments.Title("name", title));

    public abstract IEnumerable<string> ToArguments();

    /// <summary>Whether a list2 row is the addressed emulator.</summary>
    public abstract bool Matches(EmulatorInfo emulator);
}

internal sealed record IndexSelector(int Index) : EmulatorSelector
{
    public override IEnumerable<string> ToArguments() => ["--index", LdArguments.Int(Index)];

    public override bool Matches(EmulatorInfo emulator) => emulator.Index == Index;

    public override string ToString() => $"index {Index}";
}

internal sealed record NameSelector(string Title) : EmulatorSelector
{
    public override IEnumerable<string> ToArguments() => ["--name", Title];

    public override bool Matches(EmulatorInfo emulator) => string.Equals(emulator.Title, Title, StringComparison.Ordinal);

    public override string ToString() => $"name '{Title}'";
}
