using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.LdPlayer.Catalog;

namespace LdFleet.Relay.Tests.LdPlayer;

/// <summary>Property-based tests: the list2 parser and the argument builders under random input.</summary>
public sealed partial class PropertyTests
{
    static PropertyTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    // Titles as users type them: ASCII, commas, spaces, CJK, emoji; never line breaks (list2 is line-based).
    private static readonly Gen<string> Titles = Gen.OneOf(
            Gen.Char["abcXYZ019 ,-_.()"].Select(c => c.ToString()),
            Gen.Char['\u4e00', '\u4fff'].Select(c => c.ToString()),
            Gen.Const("😀"))
        .Array[1, 24]
        .Select(pieces => string.Concat(pieces));

    // The same without emoji: GBK has no surrogate pairs. Generated directly rather than filtered: titles of up to 24
    // pieces are rarely emoji-free, and a filter that skips too much makes CsCheck give up ("Failing Where max count").
    private static readonly Gen<string> BmpTitles = Gen.OneOf(
            Gen.Char["abcXYZ019 ,-_.()"].Select(c => c.ToString()),
            Gen.Char['\u4e00', '\u4fff'].Select(c => c.ToString()))
        .Array[1, 24]
        .Select(pieces => string.Concat(pieces));

    private static readonly Gen<EmulatorInfo> Rows = RowsWith(Titles);

    private static Gen<EmulatorInfo> RowsWith(Gen<string> titles) =>
        Gen.Select(Gen.Int[0, 2000], titles, Gen.Long[0, 99_999_999], Gen.Int[0, 2], Gen.Int[-1, 99_999], Gen.Int[-1, 99_999], Gen.Int[100, 4000], Gen.Int[60, 640])
            .Select(t => new EmulatorInfo(t.Item1, t.Item2, t.Item3, t.Item3 + 1, t.Item4, t.Item5, t.Item6, t.Item7, t.Item7 / 2, t.Item8));

    [Fact]
    public void List2_TenColumns_RoundTrips() =>
        Rows.List[0, 20].Sample(rows =>
        {
            var text = string.Concat(rows.Select(r => Format(r, tenColumns: true) + "\r\n"));
            var decoded = ConsoleText.Decode(Encoding.UTF8.GetBytes(text), 936, OutputEncoding.Auto);
            return List2Parser.TryParse(decoded, out var parsed, out _) && parsed.SequenceEqual(rows);
        });

    [Fact]
    public void List2_SevenColumns_RoundTripsWhenTheTitleCannotPassForAResolution() =>
        Rows.Where(r => !NumericTail().IsMatch("," + r.Title)).List[0, 20].Sample(rows =>
        {
            var text = string.Concat(rows.Select(r => Format(r, tenColumns: false) + "\r\n"));
            var expected = rows.Select(r => r with { Width = null, Height = null, Dpi = null });
            return List2Parser.TryParse(text, out var parsed, out _) && parsed.SequenceEqual(expected);
        });

    [Fact]
    public void List2_GbkBytesOnAnAnsiHost_RoundTripCjkTitles() =>
        RowsWith(BmpTitles).List[1, 5].Sample(rows =>
        {
            var text = string.Concat(rows.Select(r => Format(r, tenColumns: true) + "\r\n"));
            var bytes = Encoding.GetEncoding(936).GetBytes(text);

            // Titles GBK cannot encode come back as '?', exactly as on a Chinese Windows console.
            var expected = rows.Select(r => r with { Title = Encoding.GetEncoding(936).GetString(Encoding.GetEncoding(936).GetBytes(r.Title)) });
            return List2Parser.TryParse(ConsoleText.Decode(bytes, 936, OutputEncoding.Ansi), out var parsed, out _) && parsed.SequenceEqual(expected);
        });

    [Fact]
    public void List2_RandomBytes_NeverThrow() =>
        Gen.Byte.Array[0, 400].Sample(bytes =>
        {
            var ok = List2Parser.TryParse(ConsoleText.Decode(bytes, 936), out var parsed, out var error);
            return ok ? error is null : parsed.Count == 0 && !string.IsNullOrEmpty(error);
        });

    [Fact]
    public void List2_RandomTextLines_NeverThrow() =>
        Gen.String.Sample(text =>
        {
            List2Parser.TryParse(text, out _, out _);
        });

    [Fact]
    public void Text_RandomStrings_AreEitherRefusedOrPassedThroughUnchanged() =>
        Gen.String.Sample(value =>
        {
            try
            {
                var accepted = LdArguments.Text("p", value, 64);
                return accepted == value && !value.Any(c => char.IsControl(c) || c == '"') && IsWellFormed(value);
            }
            catch (LdArgumentException ex)
            {
                return ex.Parameter == "p";
            }
        });

    [Fact]
    public void Commands_AnyAcceptedTitle_StaysOneArgument() =>
        Gen.String[Gen.Char.AlphaNumeric, 1, 30].Sample(title =>
        {
            try
            {
                var command = LdConsoleCommands.Rename(EmulatorSelector.ByIndex(3), title);
                return command.Arguments.SequenceEqual(["rename", "--index", "3", "--title", title]);
            }
            catch (LdArgumentException)
            {
                return title.All(char.IsAsciiDigit);
            }
        });

    [Fact]
    public void Modify_CpuAndMemory_AcceptExactlyTheDocumentedValues() =>
        Gen.Select(Gen.Int[-5, 10], Gen.Int[0, 9000]).Sample(t =>
        {
            var (cpu, memory) = t;
            var valid = cpu is >= 1 and <= 4 && ModifySettings.AllowedMemory.Contains(memory);
            try
            {
                var args = new ModifySettings { Cpu = cpu, Memory = memory }.ToArguments();
                return valid && args.SequenceEqual(["--cpu", cpu.ToString(CultureInfo.InvariantCulture), "--memory", memory.ToString(CultureInfo.InvariantCulture)]);
            }
            catch (LdArgumentException)
            {
                return !valid;
            }
        });

    private static string Format(EmulatorInfo e, bool tenColumns) => tenColumns
        ? string.Create(CultureInfo.InvariantCulture, $"{e.Index},{e.Title},{e.TopWindowHandle},{e.BindWindowHandle},{e.AndroidState},{e.PlayerProcessId},{e.VmProcessId},{e.Width},{e.Height},{e.Dpi}")
        : string.Create(CultureInfo.InvariantCulture, $"{e.Index},{e.Title},{e.TopWindowHandle},{e.BindWindowHandle},{e.AndroidState},{e.PlayerProcessId},{e.VmProcessId}");

    private static bool IsWellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"(,-?\d+){3}\z")]
    private static partial Regex NumericTail();
}
