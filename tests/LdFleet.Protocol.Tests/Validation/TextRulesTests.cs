using System.Text;
using CsCheck;
using LdFleet.Protocol.Validation;

namespace LdFleet.Protocol.Tests.Validation;

/// <summary>What free text may contain: readable characters yes, invisible or reordering ones no.</summary>
public sealed class TextRulesTests
{
    // Every kind the rules refuse; a hostile string is ordinary text with one of these somewhere inside.
    private static readonly string[] Refused =
    [
        "\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069", "\u200E", "\u200F", "\u061C",
        "\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u2028", "\u2029",
        "\u0000", "\u0007", "\t", "\n", "\r", "\u001B", "\u007F", "\u0085", "\u009B",
        "\uD800", "\uDFFF", "\uFFFE", "\uFDD0", char.ConvertFromUtf32(0xE0041), char.ConvertFromUtf32(0x1FFFF),
    ];

    private static readonly Gen<string> Ordinary = Gen.OneOf(
            Gen.Char["abcXYZ019 ,-_.()[]!@#$%^&+=~"].Select(c => c.ToString()),
            Gen.Char['\u4e00', '\u9fff'].Select(c => c.ToString()),
            Gen.Char['\u00c0', '\u024f'].Select(c => c.ToString()),
            Gen.Const("🎮"), Gen.Const("👍🏽"))
        .Array[0, 30]
        .Select(pieces => string.Concat(pieces));

    [Theory]
    [InlineData("雷电模拟器-1")]
    [InlineData("LDPlayer, qa (1)")]
    [InlineData("Ünïcödé émoji 🎮")]
    [InlineData("")]
    public void Problem_OrdinaryText_IsNull(string value) => Assert.Null(TextRules.Problem(value));

    [Fact]
    public void Problem_NamesTheCodePointAndWhatItIs()
    {
        Assert.Equal("must not contain a bidirectional control character (U+202E).", TextRules.Problem("evil\u202Egnp.exe"));
        Assert.Equal("must not contain a zero-width character (U+200B).", TextRules.Problem("a\u200Bb"));
        Assert.Equal("must not contain a control character or line break (U+000A).", TextRules.Problem("two\nlines"));
        Assert.Equal("must be valid Unicode text (it contains an unpaired surrogate).", TextRules.Problem("x\uD800"));
    }

    [Fact]
    public void Problem_OrdinaryTextFromEveryScriptWeGenerate_IsAccepted() =>
        Ordinary.Sample(value => TextRules.Problem(value) is null);

    [Fact]
    public void Problem_AnyRefusedCharacterAnywhere_IsRefused() =>
        Gen.Select(Ordinary, Gen.Int[0, Refused.Length - 1], Ordinary)
            .Sample(t => TextRules.Problem(t.Item1 + Refused[t.Item2] + t.Item3) is not null);

    [Fact]
    public void Problem_RandomStrings_AcceptedOnlyWhenEveryRuneIsVisibleText() =>
        Gen.String.Sample(value => TextRules.Problem(value) is not null || IsVisibleText(value));

    [Fact]
    public void Check_LengthQuotesAndRequired()
    {
        Assert.Equal("is required.", TextRules.Check(null, 10));
        Assert.Equal("is required.", TextRules.Check("", 10));
        Assert.Null(TextRules.Check("", 10, allowEmpty: true));
        Assert.Equal("must be at most 3 characters.", TextRules.Check("abcd", 3));
        Assert.Equal("must not contain double quotes.", TextRules.Check("a\"b", 10));
        Assert.Null(TextRules.Check("a\"b", 10, allowDoubleQuotes: true));
    }

    private static bool IsVisibleText(string value)
    {
        for (var i = 0; i < value.Length;)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var consumed) != System.Buffers.OperationStatus.Done
                || Rune.IsControl(rune)
                || Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator)
            {
                return false;
            }

            i += consumed;
        }

        return true;
    }
}
