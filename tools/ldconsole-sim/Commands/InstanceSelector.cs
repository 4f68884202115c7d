using System.Globalization;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary>Resolves <c>--index n | --name title</c> (§2.1, §4.1).</summary>
internal static class InstanceSelector
{
    /// <summary>
    /// <c>--index</c> wins over <c>--name</c>; a non-numeric index matches nothing. With
    /// <paramref name="nameMayBeIndex"/> an all-digit <c>--name</c> that matches no title is taken
    /// as an index, as rename's help text (<c>--name &lt;mnq_name | mnq_idx&gt;</c>) suggests.
    /// </summary>
    public static Instance? Resolve(CommandContext context, bool nameMayBeIndex = false)
    {
        var world = context.World;
        if (context.Args.Get("index") is { } indexText)
        {
            return TryParseIndex(indexText) is { } index ? world.Find(index) : null;
        }

        if (context.Args.Get("name") is { } name)
        {
            var byTitle = world.FindByTitle(name);
            if (byTitle is null && nameMayBeIndex && TryParseIndex(name) is { } index)
            {
                return world.Find(index);
            }

            return byTitle;
        }

        return null;
    }

    /// <summary><c>copy --from</c>: all digits ⇒ index, otherwise a title (§2.1).</summary>
    public static Instance? ResolveFrom(SimWorld world, string? from)
    {
        if (string.IsNullOrEmpty(from))
        {
            return null;
        }

        return TryParseIndex(from) is { } index ? world.Find(index) : world.FindByTitle(from);
    }

    private static int? TryParseIndex(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;
}
